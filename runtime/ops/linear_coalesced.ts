// The 'coalesced' GEMV variant (decode, M ≤ 8): the dispatch of kernels/linear_coalesced.wgsl, or of its subgroup
// twin kernels/linear_coalesced_sg.wgsl where the device has `subgroups`, for `linear` (runtime/ops/linear.ts, with
// the fused bias and residual) and for the decode SwiGLU (runtime/ops/swiglu.ts, gate and up in one dispatch).
// Here are the launch choices: invocations per workgroup from K (and workgroup memory), weight rows per workgroup
// from N.
import { linearCoalescedKernel } from '../../kernels/linear_coalesced.js';
import { linearCoalescedSgKernel } from '../../kernels/linear_coalesced_sg.js';
import { type Binding, type Dispatch, type Graph, bindingTensor } from '../graph.js';
import { quantBits } from '../quant_tensor.js';
import type { Tensor } from '../tensor.js';
import type { RmsNormPrologue } from './linear.js';

/** Rows of x the kernels keep in registers (decode batch). */
export const COALESCED_MAX_M = 8;
/** Partial sums per invocation the kernels hold (S = M·ROWS·(1 or 2) ≤ 16: 16 KiB of workgroup memory at WG 256). */
const MAX_SUMS = 16;
/** Workgroups a dispatch should keep before a workgroup takes several rows: 4 per SM on a 132-SM GPU (H100/H200). */
const MIN_WORKGROUPS = 4 * 132;

export interface CoalescedGemv {
  readonly x: Tensor;
  /** bf16, q4 or q8 [rows, K] weight (or a row chunk of one). */
  readonly w: Binding;
  /** q4/q8: the whole weight's scales (and up's), the chunk starting at yCol. */
  readonly scales?: Tensor;
  readonly upScales?: Tensor;
  /** SwiGLU: the up_proj weight; y = silu(x·wᵀ) · (x·upᵀ). */
  readonly up?: Binding;
  readonly b?: Tensor;
  readonly residual?: Tensor;
  /** RMSNorm of each x row first (NORM): its weight f32 [K] and eps. */
  readonly norm?: RmsNormPrologue;
  readonly y: Tensor;
  readonly M: number;
  /** Weight rows this dispatch computes. */
  readonly rows: number;
  readonly K: number;
  /** y (and residual) row stride, and the column of y (= row of w, index of b) this dispatch starts at. */
  readonly yStride: number;
  readonly yCol: number;
}

/** The GEMV runs only for M ≤ 8 rows of x and K % 8 == 0 (whole vec4<u32> weight words). */
export function coalescedFits(M: number, K: number): boolean {
  return M <= COALESCED_MAX_M && K % 8 === 0;
}

/**
 * One dispatch. Invocations per workgroup: the next power of two ≥ K/8 words, in 64..256 (q/k/v/o/gate/up at
 * K = 896: 128 invocations, 112 busy; down at K = 4864: 256), halved while the workgroup-memory kernel's WG·ST
 * sums would not fit the device (only with the norm's extra sums: ST = S + M ≤ 24). Rows per workgroup: 4 or 2
 * while that still leaves MIN_WORKGROUPS (x is loaded once for all of them), else 1 (q/o/down/k/v: one workgroup
 * per row).
 */
export function coalescedGemv(g: Graph, o: CoalescedGemv): Dispatch {
  const sumsPerRow = o.M * (o.up ? 2 : 1);
  const rows = [4, 2].find((r) => sumsPerRow * r <= MAX_SUMS && Math.ceil(o.rows / r) >= MIN_WORKGROUPS) ?? 1;
  const slots = sumsPerRow * rows + (o.norm ? o.M : 0);
  let wg = Math.min(256, Math.max(64, 2 ** Math.ceil(Math.log2(o.K / 8))));
  while (!g.profile.subgroups && wg > 64 && wg * slots * 4 > g.profile.workgroupStorageBytes) wg /= 2;
  return {
    kernel: g.profile.subgroups ? linearCoalescedSgKernel : linearCoalescedKernel,
    constants: { WG: wg, ROWS: rows, XM: o.M, HAS_BIAS: !!o.b, HAS_RESIDUAL: !!o.residual, SWIGLU: !!o.up, NORM: !!o.norm, QBITS: quantBits(bindingTensor(o.w)) },
    // unused slots stay bound to a dummy (x); the kernel's override booleans (and QBITS) guard every read
    bindings: { x: o.x, w: o.w, wu: o.up ?? o.w, scales: o.scales ?? o.x, scales_up: o.upScales ?? o.x, b: o.b ?? o.x, res: o.residual ?? o.x, norm_w: o.norm?.weight ?? o.x, y: o.y },
    params: { n: o.rows, k: o.K, y_stride: o.yStride, y_col: o.yCol, b_off: o.yCol, s_row: o.yCol, eps: o.norm?.eps ?? 0 },
    grid: [Math.ceil(o.rows / rows), 1, 1],
  };
}
