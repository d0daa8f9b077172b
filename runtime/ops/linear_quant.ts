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

/** The split-K kernel's x slices per lane: XM · GPL of 64 k each (kernels/linear_vec_q_split_k.wgsl). */
const SPLIT_K_SLICES = 4;
/** Subgroups per workgroup of the split-K kernel. */
const SPLIT_K_SUBGROUPS = 4;

/** The split-K kernel's lanes: the adapter's one subgroup size, or 0 where it has several (or no subgroups). */
function splitKLanes(g: Graph): number {
  const p = g.profile;
  return p.subgroups && p.subgroupMinSize === p.subgroupMaxSize && p.subgroupMinSize >= 4 ? p.subgroupMinSize : 0;
}

/** Group pairs (64 k) per lane for K over `lanes` lanes. */
const pairsPerLane = (K: number, lanes: number) => Math.ceil(K / 64 / lanes);

/**
 * Whether M rows of x [M, K] take the split-K kernel: an adapter with one subgroup size, K % 64 == 0, and all M rows'
 * slices of x in one dispatch's registers (M · GPL ≤ 4: decode of one or two sequences at K = 896 on lavapipe; its
 * down_proj, K = 4864, stays on the rows kernel — held in registers, 10 pairs a lane ran 1.5× slower than it).
 */
export function splitKFits(g: Graph, M: number, K: number): boolean {
  const lanes = splitKLanes(g);
  return lanes > 0 && K % 64 === 0 && M * pairsPerLane(K, lanes) <= SPLIT_K_SLICES;
}

/**
 * Rows per subgroup: the most (up to 16 per lane, which amortises the x slices' loads) that still leaves 8 workgroups
 * to share out among the rasteriser's threads; a multiple of the lanes (each lane stores one row of every `lanes`).
 */
function rowsPerSubgroup(N: number, lanes: number): number {
  for (const per of [16, 8, 4, 2]) if (Math.ceil(N / (lanes * per)) >= 8 * SPLIT_K_SUBGROUPS) return lanes * per;
  return lanes;
}

function splitKDispatches(g: Graph, o: QuantGemv): Dispatch[] {
  const { x, w, up, y, M, K } = o;
  const N = w.shape[0]!;
  const lanes = splitKLanes(g);
  const dummy = x;
  const chunks = rowChunks(g.limits, w);
  return chunks.map((c) => {
    const rs = rowsPerSubgroup(c.rows, lanes);
    return {
      kernel: linearVecQSplitKKernel,
      constants: { WG: lanes * SPLIT_K_SUBGROUPS, LANES: lanes, GPL: pairsPerLane(K, lanes), RS: rs, XM: M, QBITS: w.dtype === 'q4' ? 4 : 8, HAS_BIAS: !!o.b, HAS_RESIDUAL: !!o.residual, NORM: !!o.norm, SWIGLU: !!up },
      bindings: { x, w: chunks.length === 1 ? w : { tensor: w, byteOffset: c.byteOffset, byteSize: c.byteSize }, s: w.scales!, wu: up ?? dummy, su: up?.scales ?? dummy, b: o.b ?? dummy, res: o.residual ?? dummy, norm_w: o.norm?.weight ?? dummy, y },
      params: { m_off: 0, n: c.rows, k: K, y_stride: N, y_col: c.rowStart, b_off: c.rowStart, s_row: c.rowStart, eps: o.norm?.eps ?? 0 },
      grid: [Math.ceil(c.rows / (rs * SPLIT_K_SUBGROUPS)), 1, 1],
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
