// The 'gemm_shuffle' GEMM variant of `linear` (runtime/ops/linear.ts) for CPU rasterisers: the dispatch of
// kernels/linear_shuffle.wgsl (x loaded once per row of threads and shared by subgroupShuffle, weights 4 bf16 per
// load), and where it can run: the kernel needs the `subgroups` feature and rows of whole vec4s.
import { linearShuffleKernel } from '../../kernels/linear_shuffle.js';
import { type Binding, type Dispatch, type Graph, bindingTensor, check } from '../graph.js';
import { quantBits } from '../quant_tensor.js';
import type { Tensor } from '../tensor.js';
import { type LinearEpilogue, epilogueBindings, epilogueConstants } from './linear_epilogue.js';

/** Columns of y per workgroup: 8 threads × 8 columns. */
const TILE = 64;
/**
 * Rows of y per thread (the kernel's RA): 16 where the 128-row tile is at least half used, else 8. With 16 each
 * gathered weight serves twice the FMAs (lavapipe pays per load and lane): 1.2–1.4× at the ViT and 128-token
 * prefill shapes, interleaved A/B (bench/RESULTS.md); at 32 rows (batched decode) 8 is faster.
 */
const rowsPerThread = (M: number) => (M > 64 ? 16 : 8);

export interface ShuffleGemm extends LinearEpilogue {
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

/** One dispatch: a workgroup per 64-column × 8·RA-row tile of y (grid [rows / 64, M / (8·RA)], rounded up). */
export function shuffleGemm(g: Graph, o: ShuffleGemm): Dispatch {
  const ra = rowsPerThread(o.M);
  const grid = [Math.ceil(o.rows / TILE), Math.ceil(o.M / (8 * ra)), 1] as const;
  check(grid[0] <= g.limits.maxComputeWorkgroupsPerDimension && grid[1] <= g.limits.maxComputeWorkgroupsPerDimension, 'linear', `grid [${grid.join(', ')}] is over the workgroup limit`, o.x, o.y);
  return {
    kernel: linearShuffleKernel,
    constants: { HAS_BIAS: !!o.b, QBITS: quantBits(bindingTensor(o.w)), RA: ra, ...epilogueConstants(o) },
    // unused slots are bound to a dummy (x); HAS_BIAS, QBITS and the epilogue's overrides guard the reads
    bindings: { x: o.x, w: o.w, s: o.scales ?? o.x, b: o.b ?? o.x, y: o.y, ...epilogueBindings(o, o.x) },
    params: { m: o.M, n: o.rows, k: o.K, y_stride: o.yStride, y_col: o.yCol, b_off: o.yCol, s_row: o.yCol },
    grid,
  };
}

