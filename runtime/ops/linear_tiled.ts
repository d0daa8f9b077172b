// The 'gemm_tiled' lowering of `linear` (runtime/ops/linear.ts) for GPUs: kernels/linear_tiled.wgsl with a tile
// chosen by M, split-K when the output has too few tiles to fill the GPU, kernels/linear_splitk_sum.wgsl to add
// the split partials (and the bias). Tile sizes and the split rule are shaped from how GPUs work, not yet
// measured on one (lavapipe, where this is tested, runs workgroup memory slowly and prefers gemm8x8).
import { linearSplitkSumKernel } from '../../kernels/linear_splitk_sum.js';
import { linearTiledKernel } from '../../kernels/linear_tiled.js';
import { type Dispatch, type Graph, check, type rowChunks } from '../graph.js';
import { quantBits } from '../quant_tensor.js';
import type { Tensor } from '../tensor.js';
import { type LinearEpilogue, epilogueBindings, epilogueConstants } from './linear_epilogue.js';

/** A kernels/linear_tiled.wgsl configuration: a bm×bn tile of y per workgroup, tm×tn per invocation, bk per step. */
export interface LinearTile {
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly tm: number;
  readonly tn: number;
}

/** M > 32 (ViT, prefill, projector): 64×64, 4×4 per invocation (256), 8 shared loads per 16 FMAs, 8.3 KiB. */
export const TILE_LARGE: LinearTile = { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };
/**
 * M ≤ 32 (batched decode): 32×32, 2×2 per invocation (256), 8.3 KiB. Weight-bandwidth bound, so the point is
 * workgroup count: 4× the large tile's, and a 32-row tile wastes no more than 23 rows of FMAs, never loads.
 */
export const TILE_SKINNY: LinearTile = { bm: 32, bn: 32, bk: 32, tm: 2, tn: 2 };
const SKINNY_MAX_M = 32;

/** Split K until about this many workgroups run (one per compute unit of an H100/H200, 132 SMs)… */
const TARGET_WORKGROUPS = 128;
/** …but give each split at least this much of K, so partial traffic (4·S·M·N bytes, twice) stays small. */
const MIN_SPLIT_K = 256;
const SUM_WG = 256;

export function tileFor(M: number): LinearTile {
  return M <= SKINNY_MAX_M ? TILE_SKINNY : TILE_LARGE;
}

/** Workgroup memory of a tile: x [bm][bk] and the padded transposed w [bk][bn + 32/bk], f32. */
export function tileStorageBytes(t: LinearTile): number {
  return 4 * (t.bm * t.bk + t.bk * (t.bn + 32 / t.bk));
}

/**
 * Split-K for an M×N output over K: S chunks of kChunk (a multiple of bk) so that tiles·S reaches
 * TARGET_WORKGROUPS with chunks of at least MIN_SPLIT_K. Splitting only happens below TARGET_WORKGROUPS tiles,
 * so the partials stay under (TARGET_WORKGROUPS + tiles)·bm·bn·4 bytes (≤ 4 MiB): no binding-size concern.
 */
export function splitK(t: LinearTile, M: number, N: number, K: number): { splits: number; kChunk: number } {
  const tiles = Math.ceil(M / t.bm) * Math.ceil(N / t.bn);
  const want = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(K / MIN_SPLIT_K)));
  if (want === 1) return { splits: 1, kChunk: K };
  const kChunk = Math.ceil(K / want / t.bk) * t.bk;
  return { splits: Math.ceil(K / kChunk), kChunk };
}

/** Where split, the sum kernel applies the epilogue. */
export interface TiledLinear extends LinearEpilogue {
  readonly x: Tensor;
  readonly w: Tensor;
  readonly b: Tensor | undefined;
  readonly y: Tensor;
  readonly M: number;
  readonly K: number;
  /** The weight's row chunks (rowChunks in runtime/graph.ts): one GEMM (and one sum when split) each. */
  readonly chunks: ReturnType<typeof rowChunks>;
  readonly name: string;
}

/** The dispatches of y = residual + layerScale ⊙ act(x·Wᵀ + b) with linear_tiled (+ linear_splitk_sum where split). */
export function linearTiledDispatches(g: Graph, a: TiledLinear): Dispatch[] {
  const { x, w, b, y, M, K, chunks } = a;
  const N = w.shape[0]!;
  const t = tileFor(M);
  check(tileStorageBytes(t) <= g.profile.workgroupStorageBytes, 'linear', `tile ${t.bm}×${t.bn}×${t.bk} needs ${tileStorageBytes(t)} bytes of workgroup memory, over the device's ${g.profile.workgroupStorageBytes}`, x, w);
  const constants = { BM: t.bm, BN: t.bn, BK: t.bk, TM: t.tm, TN: t.tn, PAIRED: K % 2 === 0, QBITS: quantBits(w) };
  const scales = w.scales ?? x; // a dummy for bf16: QBITS guards the read
  const bias = b ?? x; // a dummy when absent: the slot stays bound, HAS_BIAS guards the read
  const epilogue = epilogueConstants(a);
  const none = epilogueConstants({});
  const fused = epilogueBindings(a, x);
  const splits = chunks.map((c) => splitK(t, M, c.rows, K));
  const partialSize = Math.max(...splits.map((s, i) => (s.splits > 1 ? s.splits * M * chunks[i]!.rows : 0)));
  const partial = partialSize > 0 ? g.tensor(`${a.name}.splitk`, [partialSize]) : undefined;
  return chunks.flatMap((c, i): Dispatch[] => {
    const wb = chunks.length === 1 ? w : { tensor: w, byteOffset: c.byteOffset, byteSize: c.byteSize };
    const { splits: S, kChunk } = splits[i]!;
    const grid = [Math.ceil(c.rows / t.bn), Math.ceil(M / t.bm), S] as const;
    check(grid.every((d) => d <= g.limits.maxComputeWorkgroupsPerDimension), 'linear', `grid [${grid.join(', ')}] is over the workgroup limit`, x, w);
    if (S === 1) {
      const params = { m: M, n: c.rows, k: K, y_stride: N, y_col: c.rowStart, b_off: c.rowStart, k_chunk: K, s_row: c.rowStart };
      return [{ kernel: linearTiledKernel, constants: { ...constants, HAS_BIAS: !!b, ...epilogue }, bindings: { x, w: wb, s: scales, b: bias, y, ...fused }, params, grid }];
    }
    const p = partial!;
    const gemmParams = { m: M, n: c.rows, k: K, y_stride: c.rows, y_col: 0, b_off: 0, k_chunk: kChunk, s_row: c.rowStart };
    const sumParams = { m: M, n: c.rows, splits: S, y_stride: N, y_col: c.rowStart, b_off: c.rowStart };
    return [
      { kernel: linearTiledKernel, constants: { ...constants, HAS_BIAS: false, ...none }, bindings: { x, w: wb, s: scales, b: x, y: p, ...epilogueBindings({}, x) }, params: gemmParams, grid },
      { kernel: linearSplitkSumKernel, constants: { WG: SUM_WG, HAS_BIAS: !!b, ...epilogue }, bindings: { p, b: bias, y, ...fused }, params: sumParams, grid: [Math.ceil((M * c.rows) / SUM_WG), 1, 1] },
    ];
  });
}
