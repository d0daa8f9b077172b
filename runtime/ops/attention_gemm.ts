// Attention as GEMMs — the `cpu` profile's non-causal attention (InternViT): for a chunk of (sequence, head) pairs,
// kernels/attention_scores.wgsl writes scale·q·kᵀ into a scratch buffer, kernels/attention_softmax_stats.wgsl each
// row's max and exp-sum, and kernels/attention_pv.wgsl softmax(s)·v, forming the probabilities as it loads the scores.
// On lavapipe both GEMMs run like the shared-load linear GEMM (~20–50 GFLOP/s) where the flash-style kernels keep
// q and the accumulators in per-invocation arrays that it indexes lane by lane (attention_blocked: ~8 GFLOP/s).
// The scores are materialized (seqLen² floats per pair), so chunks of pairs share one scratch buffer of at most
// SCRATCH_BYTES, one after the other in the pass; causal attention never comes here (runtime/ops/attention.ts).
import { attentionPvKernel } from '../../kernels/attention_pv.js';
import { attentionScoresKernel } from '../../kernels/attention_scores.js';
import { attentionSoftmaxStatsKernel } from '../../kernels/attention_softmax_stats.js';
import type { Dispatch, Graph } from '../graph.js';
import type { AttentionView } from './attention.js';

/** The scores scratch per chunk: 16 MiB keeps one ViT tile's extra memory small (3 heads of 1025² per chunk). */
const SCRATCH_BYTES = 16 << 20;
const TILE = 64; // keys (attention_scores) and head dims (attention_pv) per 8×8 workgroup
const STATS_WG = 64;
const ROWS = 128; // query rows per workgroup of attention_scores and attention_pv: 16 per thread

export interface AttentionGemm {
  readonly q: AttentionView;
  readonly k: AttentionView;
  readonly v: AttentionView;
  readonly numSeqs: number;
  readonly seqLen: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly scale: number;
  /** Tests: load q and the scores per thread instead of sharing them through subgroups. */
  readonly shareX?: boolean;
}

/** Whether the GEMM form runs: `subgroups`, head dims of whole vec4 pairs, and one pair's scores in a binding. */
export function attentionGemmFits(g: Graph, seqLen: number, headDim: number): boolean {
  const rowBytes = 4 * Math.ceil(seqLen / 4) * 4;
  return g.profile.subgroups && headDim % 8 === 0 && seqLen * rowBytes <= Math.min(SCRATCH_BYTES, g.limits.maxStorageBufferBindingSize);
}

/** The dispatches of attention as GEMMs into `out` [numSeqs·seqLen, heads·headDim]; scratch tensors come from `g`. */
export function attentionGemmDispatches(g: Graph, o: AttentionGemm, out: AttentionView['tensor'], name: string): Dispatch[] {
  const { q, k, v, numSeqs, seqLen: T, heads, headDim, scale } = o;
  const sStride = 4 * Math.ceil(T / 4);
  const pairs = numSeqs * heads;
  const perChunk = Math.max(1, Math.min(pairs, Math.floor(SCRATCH_BYTES / (4 * T * sStride)), g.limits.maxComputeWorkgroupsPerDimension));
  const scores = g.tensor(`${name}.scores`, [perChunk, T, sStride]);
  const stats = g.tensor(`${name}.softmax_stats`, [perChunk * T, 2]);
  const constants = { HEAD_DIM: headDim, ...(o.shareX === false ? { SHARE_X: false } : {}) };
  const group = heads / o.kvHeads;
  const dispatches: Dispatch[] = [];
  for (let z0 = 0; z0 < pairs; z0 += perChunk) {
    const chunk = Math.min(perChunk, pairs - z0);
    dispatches.push(
      {
        kernel: attentionScoresKernel,
        constants,
        bindings: { q: q.tensor, k: k.tensor, s: scores },
        params: { seqLen: T, heads, group, z0, qOffset: q.offset, qStride: q.stride, kOffset: k.offset, kStride: k.stride, sStride, scale },
        grid: [Math.ceil(T / TILE), Math.ceil(T / ROWS), chunk],
      },
      {
        kernel: attentionSoftmaxStatsKernel,
        constants: { WG: STATS_WG },
        bindings: { s: scores, stats },
        params: { seqLen: T, rows: chunk * T, sStride },
        grid: [Math.ceil((chunk * T) / STATS_WG), 1, 1],
      },
      {
        kernel: attentionPvKernel,
        constants,
        bindings: { s: scores, stats, v: v.tensor, out },
        params: { seqLen: T, heads, group, z0, vOffset: v.offset, vStride: v.stride, sStride },
        grid: [Math.ceil(headDim / TILE), Math.ceil(T / ROWS), chunk],
      },
    );
  }
  return dispatches;
}
