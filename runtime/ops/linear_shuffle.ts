// The 'gemm_shuffle' GEMM variant of `linear` (runtime/ops/linear.ts) for CPU rasterisers: the dispatch of
// kernels/linear_shuffle.wgsl (x loaded once per row of threads and shared by subgroupShuffle, weights 4 bf16 per
// load), and where it can run: the kernel needs the `subgroups` feature and rows of whole vec4s.
import { linearShuffleKernel } from '../../kernels/linear_shuffle.js';
import { type Binding, type Dispatch, type Graph, bindingTensor, check } from '../graph.js';
import { quantBits } from '../quant_tensor.js';
import type { Tensor } from '../tensor.js';

/** Rows and columns of y per workgroup: 8×8 threads with 8×8 outputs each. */
const TILE = 64;

export interface ShuffleGemm {
  readonly x: Tensor;
  /** bf16, q4 or q8 [rows, K] weight (or a row chunk of one). */
  readonly w: Binding;
  /** q4/q8: the whole weight's scales (the chunk's start at yCol). */
  readonly scales?: Tensor;
  readonly b?: Tensor;
  readonly y: Tensor;
  readonly M: number;
  /** Weight rows this dispatch computes. */
  readonly rows: number;
  readonly K: number;
  /** y's row stride, and the column of y (= row of w, index of b) this dispatch starts at. */
  readonly yStride: number;
  readonly yCol: number;
}

/** The kernel runs on a device with `subgroups` and for K % 4 == 0 (q4/q8: % 32, always true of them); elsewhere `linear` runs gemm8x8. */
export function shuffleFits(subgroups: boolean, K: number): boolean {
  return subgroups && K % 4 === 0;
}

/** One dispatch: a workgroup per 64×64 tile of y (grid [rows / 64, M / 64], rounded up). */
export function shuffleGemm(g: Graph, o: ShuffleGemm): Dispatch {
  const grid = [Math.ceil(o.rows / TILE), Math.ceil(o.M / TILE), 1] as const;
  check(grid[0] <= g.limits.maxComputeWorkgroupsPerDimension && grid[1] <= g.limits.maxComputeWorkgroupsPerDimension, 'linear', `grid [${grid.join(', ')}] is over the workgroup limit`, o.x, o.y);
  return {
    kernel: linearShuffleKernel,
    constants: { HAS_BIAS: !!o.b, QBITS: quantBits(bindingTensor(o.w)) },
    bindings: { x: o.x, w: o.w, s: o.scales ?? o.x, b: o.b ?? o.x, y: o.y }, // b, s: dummies when absent, HAS_BIAS and QBITS guard the reads
    params: { m: o.M, n: o.rows, k: o.K, y_stride: o.yStride, y_col: o.yCol, b_off: o.yCol, s_row: o.yCol },
    grid,
  };
}
