import { attentionKernel } from '../../kernels/attention.js';
import { attentionBlockedKernel } from '../../kernels/attention_blocked.js';
import type { VariantOf } from '../device_profile.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { attention as attentionRef } from '../reference/attention.js';
import { type Tensor, numel } from '../tensor.js';
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
   * Which kernel: 'rows' (kernels/attention.wgsl, rowsPerThread query rows per invocation) or 'blocked'
   * (kernels/attention_blocked.wgsl, 8 rows × 8-key blocks: ~3× faster on lavapipe). Default: 'rows' when
   * rowsPerThread is given, else the device profile's `attention` variant.
   */
  readonly kernel?: VariantOf<'attention'>;
  /** Query rows per invocation of the 'rows' kernel (register block, 1..4); default 1. */
  readonly rowsPerThread?: number;
  /** Invocations per workgroup; default 64 ('rows'), 8 ('blocked': lavapipe's SIMD width, measured best). */
  readonly workgroupSize?: number;
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
  const blocked = (opts.kernel ?? (opts.rowsPerThread !== undefined ? 'rows' : g.profile.variants.attention)) === 'blocked';
  check(!blocked || opts.rowsPerThread === undefined || opts.rowsPerThread === 8, 'attention', `the blocked kernel has 8 rows per thread, not ${opts.rowsPerThread}`);
  const rowsPerThread = blocked ? 8 : (opts.rowsPerThread ?? 1);
  const wg = opts.workgroupSize ?? (blocked ? 8 : 64);
  check(blocked || (rowsPerThread >= 1 && rowsPerThread <= 4), 'attention', `rowsPerThread ${rowsPerThread} must be 1..4`);

  const out = g.tensor(name, [rows, heads * headDim]);
  const tiles = Math.ceil(seqLen / (wg * rowsPerThread));
  const pairs = causal ? (seqLen * (seqLen + 1)) / 2 : seqLen * seqLen;
  g.add({
    op: 'attention',
    name,
    inputs: [qv.tensor, kv.tensor, vv.tensor],
    outputs: [out],
    dispatches: [
      {
        kernel: blocked ? attentionBlockedKernel : attentionKernel,
        constants: blocked ? { HEAD_DIM: headDim, WG: wg, CAUSAL: causal } : { HEAD_DIM: headDim, ROWS: rowsPerThread, WG: wg, CAUSAL: causal },
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
      },
    ],
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
