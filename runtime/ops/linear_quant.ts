// The decode GEMV of `linear` and `swiglu` over q4/q8 weights (runtime/quant.ts): kernels/linear_vec_q{,_shuffle}.wgsl
// with the same fusions as the bf16 GEMVs — bias, residual, RMSNorm prologue, SwiGLU — for up to 32 rows of x
// (batched decode) in dispatches of 8, every weight row chunk a dispatch of its own (the scales are bound whole).
// Where the adapter has one subgroup size and x's slices fit registers (splitKFits), kernels/linear_vec_q_split_k.wgsl
// instead: each row's K split across a subgroup's lanes, x loaded once per subgroup.
import { linearVecQKernel } from '../../kernels/linear_vec_q.js';
import { linearVecQShuffleKernel } from '../../kernels/linear_vec_q_shuffle.js';
import { linearVecQSplitKKernel } from '../../kernels/linear_vec_q_split_k.js';
import { type Dispatch, type Graph, rowChunks } from '../graph.js';
import type { Tensor } from '../tensor.js';
import type { RmsNormPrologue } from './linear.js';

const WG = 64;
/** Rows of x per dispatch (the kernel keeps every row's accumulators in registers). */
const XM_MAX = 8;
/** Up to this many rows of x the GEMV runs (once per 8 rows); beyond it the weights are better read once by a GEMM. */
export const QUANT_GEMV_MAX_M = 32;

export interface QuantGemv {
  readonly x: Tensor;
  /** q4/q8 [N, K] with its scales. */
  readonly w: Tensor;
  /** SWIGLU: the up weight (same format and shape); y = silu(x·wᵀ)·(x·upᵀ). */
  readonly up?: Tensor;
  readonly b?: Tensor;
  readonly residual?: Tensor;
  readonly norm?: RmsNormPrologue;
  readonly y: Tensor;
  readonly M: number;
  readonly K: number;
  /** Rows per invocation (R): runtime/ops/linear.ts quantizedVariant, runtime/ops/swiglu.ts quantRows. */
  readonly rows: number;
  /** Force the direct-load path (tests); by default x is shared wherever the device has subgroups. */
  readonly shareX?: boolean;
  /** false: the rows kernels even where the split-K one fits (a forced variant); by default splitKFits decides. */
  readonly splitK?: boolean;
}

/**
 * Pairs (64 k) of x per lane held in registers at once by the split-K kernel, over all rows of x: more spill.
 * Lavapipe, interleaved: down_proj's shape, q4, 0.61 ms at 2 pairs and 5 chunks, 0.82 at 3 and 4, 1.61 at 4 and 3;
 * gate_proj's with the norm, q4 0.70 ms at 2 pairs vs 0.80 at 1. SWIGLU, whose gate and up codes are live
 * together, holds one: gate_proj's shape, q8 2.2 vs 3.5 ms, q4 1.41 vs 1.75.
 */
const SPLIT_K_PAIRS = 2;
const SPLIT_K_PAIRS_SWIGLU = 1;
/** Rows of x the split-K kernel takes (XM · GPL ≤ 4 slices a lane). */
const SPLIT_K_MAX_M = 2;

/** The split-K kernel's lanes: the adapter's one subgroup size, or 0 where it has several (or no subgroups). */
function splitKLanes(g: Graph): number {
  const p = g.profile;
  return p.subgroups && p.subgroupMinSize === p.subgroupMaxSize && p.subgroupMinSize >= 4 && p.subgroupMinSize <= 64 ? p.subgroupMinSize : 0;
}

/**
 * Whether M rows of x [M, K] take the split-K kernel: an adapter with one subgroup size (lavapipe: 8), K % 64 == 0
 * and M ≤ 2 (decode of one or two sequences).
 */
export function splitKFits(g: Graph, M: number, K: number): boolean {
  return splitKLanes(g) > 0 && K % 64 === 0 && M <= SPLIT_K_MAX_M;
}

/** The pairs (64 k) per lane and row of x held at once, and in how many chunks K is walked. */
function splitKChunks(M: number, K: number, lanes: number, swiglu: boolean): { gpl: number; chunks: number } {
  const pairs = K / 64;
  const gpl = Math.min(Math.ceil(pairs / lanes), Math.max(1, Math.floor((swiglu ? SPLIT_K_PAIRS_SWIGLU : SPLIT_K_PAIRS) / M)));
  return { gpl, chunks: Math.ceil(pairs / (lanes * gpl)) };
}

/**
 * Rows per subgroup (a subgroup per workgroup): the most, up to 128, that still leaves 12 workgroups to share out
 * among the rasteriser's threads; each chunk of x's slices is loaded once per subgroup, so more rows amortise it.
 * Lavapipe, interleaved: down_proj's shape (896 rows, 5 chunks) q4 0.48 ms at 64 rows vs 1.01 at 16; q/k/v's
 * (1152 rows) 0.21 ms at 64 vs 0.25 at 32.
 */
function rowsPerSubgroup(N: number, lanes: number): number {
  for (const per of [16, 8, 4, 2]) if (lanes * per <= 128 && Math.ceil(N / (lanes * per)) >= 12) return lanes * per;
  return lanes;
}

function splitKDispatches(g: Graph, o: QuantGemv): Dispatch[] {
  const { x, w, up, y, M, K } = o;
  const N = w.shape[0]!;
  const lanes = splitKLanes(g);
  const { gpl, chunks: kChunks } = splitKChunks(M, K, lanes, !!up);
  const dummy = x;
  const chunks = rowChunks(g.limits, w);
  return chunks.map((c) => {
    const rs = rowsPerSubgroup(c.rows, lanes);
    return {
      kernel: linearVecQSplitKKernel,
      constants: { WG: lanes, LANES: lanes, GPL: gpl, CHUNKS: kChunks, RS: rs, XM: M, QBITS: w.dtype === 'q4' ? 4 : 8, HAS_BIAS: !!o.b, HAS_RESIDUAL: !!o.residual, NORM: !!o.norm, SWIGLU: !!up },
      bindings: { x, w: chunks.length === 1 ? w : { tensor: w, byteOffset: c.byteOffset, byteSize: c.byteSize }, s: w.scales!, wu: up ?? dummy, su: up?.scales ?? dummy, b: o.b ?? dummy, res: o.residual ?? dummy, norm_w: o.norm?.weight ?? dummy, y },
      params: { m_off: 0, n: c.rows, k: K, y_stride: N, y_col: c.rowStart, b_off: c.rowStart, s_row: c.rowStart, eps: o.norm?.eps ?? 0 },
      grid: [Math.ceil(c.rows / rs), 1, 1],
    };
  });
}

export function quantGemvDispatches(g: Graph, o: QuantGemv): Dispatch[] {
  if (o.splitK !== false && splitKFits(g, o.M, o.K)) return splitKDispatches(g, o);
  const { x, w, up, y, M, K } = o;
  const N = w.shape[0]!;
  const shuffle = g.profile.subgroups;
  const dummy = x; // unused slots stay bound; the override booleans guard every read
  const dispatches: Dispatch[] = [];
  for (let m0 = 0; m0 < M; m0 += XM_MAX) {
    const xm = Math.min(XM_MAX, M - m0);
    const xb = M <= XM_MAX ? x : { tensor: x, byteOffset: 4 * m0 * K, byteSize: 4 * xm * K };
    // SwiGLU's gate and up fit one binding each (runtime/ops/swiglu.ts checks), so with `up` there is one chunk
    const chunks = rowChunks(g.limits, w);
    for (const c of chunks) {
      const wb = chunks.length === 1 ? w : { tensor: w, byteOffset: c.byteOffset, byteSize: c.byteSize };
      const constants = {
        WG,
        R: o.rows,
        XM: xm,
        QBITS: w.dtype === 'q4' ? 4 : 8,
        HAS_BIAS: !!o.b,
        HAS_RESIDUAL: !!o.residual,
        NORM: !!o.norm,
        SWIGLU: !!up,
        ...(shuffle && o.shareX === false ? { SHARE_X: false } : {}),
      };
      dispatches.push({
        kernel: shuffle ? linearVecQShuffleKernel : linearVecQKernel,
        constants,
        bindings: { x: xb, w: wb, s: w.scales!, wu: up ?? dummy, su: up?.scales ?? dummy, b: o.b ?? dummy, res: o.residual ?? dummy, norm_w: o.norm?.weight ?? dummy, y },
        params: { m_off: m0, n: c.rows, k: K, y_stride: N, y_col: c.rowStart, b_off: c.rowStart, s_row: c.rowStart, eps: o.norm?.eps ?? 0 },
        grid: [Math.ceil(c.rows / (WG * o.rows)), 1, 1],
      });
    }
  }
  return dispatches;
}
