import { attentionKernel } from '../../kernels/attention.js';
import { attentionBlockedKernel } from '../../kernels/attention_blocked.js';
import { attentionTiledKernel } from '../../kernels/attention_tiled.js';
import type { Constants, Kernel } from '../kernel.js';
import type { VariantOf } from '../device_profile.js';
import { type Dispatch, type Graph, check, checkDtype } from '../graph.js';
import { attention as attentionRef } from '../reference/attention.js';
import { type Tensor, numel } from '../tensor.js';
import { attentionGemmDispatches, attentionGemmFits } from './attention_gemm.js';
import { valueOf } from './values.js';

/**
 * A column window of a row-major matrix: element (row, c) is tensor[row·stride + offset + c] (elements).
 * The ViT passes { tensor: qkv, offset: which·D, stride: 3·D }; a plain tensor [T, C] is { offset 0, stride C }.
 */
export interface AttentionView {
  readonly tensor: Tensor;
  readonly offset: number;
  readonly stride: number;
}

export type AttentionInput = Tensor | AttentionView;

export interface AttentionOptions {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly scale: number;
  /** Independent sequences laid out back to back (ViT tiles); rows = numSeqs · seqLen. Default 1. */
  readonly numSeqs?: number;
  /**
   * Which kernel: 'rows' (kernels/attention.wgsl, rowsPerThread query rows per invocation), 'blocked'
   * (kernels/attention_blocked.wgsl, 8 rows × 8-key blocks: ~3× faster on lavapipe) or 'tiled'
   * (kernels/attention_tiled.wgsl, Q/K/V tiles in workgroup memory, for GPUs) or 'gemm' (attention as two GEMMs
   * with the scores materialized, runtime/ops/attention_gemm.ts: non-causal only, and where attentionGemmFits;
   * elsewhere 'blocked' runs). Default: 'rows' when rowsPerThread is given, else the device profile's `attention`
   * variant.
   */
  readonly kernel?: VariantOf<'attention'>;
  /** 'gemm', tests: load q and the scores per thread instead of sharing them through subgroups. */
  readonly shareX?: boolean;
  /** Query rows per invocation of the 'rows' kernel (register block, 1..4); default 1. */
  readonly rowsPerThread?: number;
  /** Invocations per workgroup of 'rows'/'blocked'; default 64 ('rows'), 8 ('blocked': lavapipe's SIMD width). */
  readonly workgroupSize?: number;
  /** 'tiled': query rows (even) and keys (multiple of 4) per tile; default from headDim (tiledShape). */
  readonly tile?: { readonly rows: number; readonly keys: number };
}

/** WebGPU's default maxComputeWorkgroupStorageSize: the tiled kernel fits it so it runs on every adapter. */
const TILED_STORAGE_BYTES = 16384;

/**
 * The tiled kernel's override constants for a head dim: C column groups per row pair so that an invocation owns
 * ≤ 4 vec4 columns of 2 rows (≤ 32 accumulators), 32×16 tiles up to headDim 64 and 16×8 above, so the Q tile,
 * the K/V tile and S fit 16 KiB; each invocation prefetches ≤ 4 vec4 of a K/V tile.
 */
export function tiledShape(headDim: number, tile?: { rows: number; keys: number }): { BQ: number; BK: number; C: number; WG: number; bytes: number } {
  const dh4 = headDim / 4;
  const C = Math.min(dh4, Math.max(4, Math.ceil(dh4 / 4)));
  const BQ = tile?.rows ?? (headDim <= 64 ? 32 : 16);
  const BK = tile?.keys ?? (headDim <= 64 ? 16 : 8);
  const WG = (BQ / 2) * C;
  const bytes = 16 * (BQ + BK) * (dh4 + 1) + 8 * (BQ / 2) * (BK + 1);
  const what = `tiled kernel, headDim ${headDim}, tile ${BQ}×${BK}`;
  check(Number.isInteger(BQ) && BQ >= 2 && BQ % 2 === 0 && Number.isInteger(BK) && BK >= 4 && BK % 4 === 0, 'attention', `${what}: tile rows must be even and keys a multiple of 4`);
  check(BK * dh4 <= 4 * WG, 'attention', `${what}: a K/V tile of ${BK * dh4} vec4 exceeds 4 per invocation of ${WG}`);
  check(WG <= 256, 'attention', `${what}: ${WG} invocations exceed WebGPU's default 256`);
  check(bytes <= TILED_STORAGE_BYTES, 'attention', `${what}: ${bytes} bytes of workgroup memory exceed ${TILED_STORAGE_BYTES}`);
  return { BQ, BK, C, WG, bytes };
}

/** A view's tensor, offset, stride and row count, checked for the vec4 kernels (offset, stride % 4 == 0). */
export function resolveView(op: string, what: string, x: AttentionInput, width: number): AttentionView & { rows: number } {
  const view: AttentionView = 'tensor' in x ? x : { tensor: x, offset: 0, stride: x.shape.at(-1) ?? 1 };
  const t = view.tensor;
  checkDtype(op, t, ['f32']);
  const n = numel(t.shape);
  check(view.stride > 0 && n % view.stride === 0, op, `${what}: row stride ${view.stride} does not divide the tensor`, t);
  check(view.offset >= 0 && view.offset + width <= view.stride, op, `${what}: columns ${view.offset}..${view.offset + width} exceed row stride ${view.stride}`, t);
  check(view.offset % 4 === 0 && view.stride % 4 === 0, op, `${what}: offset ${view.offset} and stride ${view.stride} must be multiples of 4 (vec4 loads)`, t);
  return { ...view, rows: n / view.stride };
}

/**
 * Multi-head attention over back-to-back sequences, flash style (online softmax, f32):
 * out[r, h·Dh + d] = Σ_j softmax_j(scale · q[r, h]·k[j, ⌊h/(Hq/Hkv)⌋]) · v[j, ⌊h/(Hq/Hkv)⌋, d], j in r's sequence
 * (j ≤ r when causal). q: [rows, ≥ Hq·Dh] view, k/v: [rows, ≥ Hkv·Dh] views. Returns [rows, Hq·Dh] f32.
 */
export function attention(g: Graph, q: AttentionInput, k: AttentionInput, v: AttentionInput, opts: AttentionOptions, name: string): Tensor {
  const { heads, kvHeads, headDim, causal, scale } = opts;
  const numSeqs = opts.numSeqs ?? 1;
  check(Number.isInteger(heads) && Number.isInteger(kvHeads) && heads > 0 && kvHeads > 0 && heads % kvHeads === 0, 'attention', `heads ${heads} must be a multiple of kvHeads ${kvHeads}`);
  check(headDim > 0 && headDim % 4 === 0 && headDim <= 128, 'attention', `headDim ${headDim} must be a multiple of 4 and ≤ 128`);
  const qv = resolveView('attention', 'q', q, heads * headDim);
  const kv = resolveView('attention', 'k', k, kvHeads * headDim);
  const vv = resolveView('attention', 'v', v, kvHeads * headDim);
  const rows = qv.rows;
  check(kv.rows === rows && vv.rows === rows, 'attention', `q, k, v must have the same rows (${qv.rows}, ${kv.rows}, ${vv.rows})`, qv.tensor, kv.tensor, vv.tensor);
  check(Number.isInteger(numSeqs) && numSeqs > 0 && rows % numSeqs === 0, 'attention', `rows ${rows} are not ${numSeqs} equal sequences`, qv.tensor);
  const seqLen = rows / numSeqs;
  const requested = opts.kernel ?? (opts.rowsPerThread !== undefined ? 'rows' : g.profile.variants.attention);
  const gemm = requested === 'gemm' && !causal && attentionGemmFits(g, seqLen, headDim);
  const variant = requested === 'gemm' && !gemm ? 'blocked' : requested;

  const out = g.tensor(name, [rows, heads * headDim]);
  const pairs = causal ? (seqLen * (seqLen + 1)) / 2 : seqLen * seqLen;
  g.add({
    op: 'attention',
    name,
    inputs: [qv.tensor, kv.tensor, vv.tensor],
    outputs: [out],
    dispatches: gemm
      ? attentionGemmDispatches(g, { q: qv, k: kv, v: vv, numSeqs, seqLen, heads, kvHeads, headDim, scale, ...(opts.shareX !== undefined && { shareX: opts.shareX }) }, out, name)
      : [flashDispatch(variant as FlashVariant, opts, { q: qv, k: kv, v: vv, out, seqLen, numSeqs })],
    cost: {
      flops: 4 * numSeqs * pairs * heads * headDim,
      bytes: 4 * rows * (2 * heads * headDim + 2 * kvHeads * headDim),
    },
    reference: (env) =>
      env.set(
        out.id,
        attentionRef(
          { data: valueOf(env, qv.tensor), offset: qv.offset, stride: qv.stride },
          { data: valueOf(env, kv.tensor), offset: kv.offset, stride: kv.stride },
          { data: valueOf(env, vv.tensor), offset: vv.offset, stride: vv.stride },
          { numSeqs, seqLen, heads, kvHeads, headDim, causal, scale },
        ),
      ),
  });
  return out;
}

type FlashVariant = Exclude<VariantOf<'attention'>, 'gemm'>;

/** The one dispatch of a flash-style variant (online softmax in one kernel). */
function flashDispatch(variant: FlashVariant, opts: AttentionOptions, io: { q: AttentionView; k: AttentionView; v: AttentionView; out: Tensor; seqLen: number; numSeqs: number }): Dispatch {
  const { heads, kvHeads, scale } = opts;
  const { q: qv, k: kv, v: vv, out, seqLen, numSeqs } = io;
  const { kernel, constants, rowsPerWorkgroup } = lowering(variant, opts);
  const tiles = Math.ceil(seqLen / rowsPerWorkgroup);
  return {
    kernel,
    constants,
    bindings: { q: qv.tensor, k: kv.tensor, v: vv.tensor, out },
    params: {
      seqLen,
      numSeqs,
      heads,
      group: heads / kvHeads,
      qOffset: qv.offset,
      qStride: qv.stride,
      kOffset: kv.offset,
      kStride: kv.stride,
      vOffset: vv.offset,
      vStride: vv.stride,
      scale,
    },
    grid: [numSeqs * heads * tiles, 1, 1],
  };
}

/** The kernel, override constants and query rows per workgroup of one variant. */
function lowering(variant: FlashVariant, opts: AttentionOptions): { kernel: Kernel; constants: Constants; rowsPerWorkgroup: number } {
  const { headDim, causal } = opts;
  const common = { HEAD_DIM: headDim, CAUSAL: causal };
  if (variant === 'tiled') {
    check(opts.rowsPerThread === undefined && opts.workgroupSize === undefined, 'attention', 'the tiled kernel takes tile, not rowsPerThread or workgroupSize');
    const { BQ, BK, C } = tiledShape(headDim, opts.tile);
    return { kernel: attentionTiledKernel, constants: { ...common, BQ, BK, C }, rowsPerWorkgroup: BQ };
  }
  check(opts.tile === undefined, 'attention', `the ${variant} kernel takes no tile`);
  if (variant === 'blocked') {
    check(opts.rowsPerThread === undefined || opts.rowsPerThread === 8, 'attention', `the blocked kernel has 8 rows per thread, not ${opts.rowsPerThread}`);
    const wg = opts.workgroupSize ?? 8;
    return { kernel: attentionBlockedKernel, constants: { ...common, WG: wg }, rowsPerWorkgroup: 8 * wg };
  }
  const rowsPerThread = opts.rowsPerThread ?? 1;
  check(rowsPerThread >= 1 && rowsPerThread <= 4, 'attention', `rowsPerThread ${rowsPerThread} must be 1..4`);
  const wg = opts.workgroupSize ?? 64;
  return { kernel: attentionKernel, constants: { ...common, ROWS: rowsPerThread, WG: wg }, rowsPerWorkgroup: rowsPerThread * wg };
}
