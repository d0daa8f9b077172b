// The decode GEMV of `linear` and `swiglu` over q4/q8 weights (runtime/quant.ts): kernels/linear_vec_q{,_shuffle}.wgsl
// with the same fusions as the bf16 GEMVs — bias, residual, RMSNorm prologue, SwiGLU — for up to 32 rows of x
// (batched decode) in dispatches of 8, every weight row chunk a dispatch of its own (the scales are bound whole).
import { linearVecQKernel } from '../../kernels/linear_vec_q.js';
import { linearVecQShuffleKernel } from '../../kernels/linear_vec_q_shuffle.js';
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
}

export function quantGemvDispatches(g: Graph, o: QuantGemv): Dispatch[] {
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
