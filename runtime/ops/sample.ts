import { sampleChunkKernel } from '../../kernels/sample_chunk.js';
import { sampleFinalKernel } from '../../kernels/sample_final.js';
import { sampleMaskKernel } from '../../kernels/sample_mask.js';
import { sampleMergeKernel } from '../../kernels/sample_merge.js';
import type { SamplingOptions } from '../sampler.js';
import { type Dispatch, type Graph, check, checkDtype } from '../graph.js';
import { SAMPLE_NO_ID, SAMPLE_SETTINGS, sampleRows } from '../reference/sample.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

/** Largest top_k the GPU sampler honours exactly (the candidate list per row). */
export const SAMPLE_TOPK_CAP = 256;
const CHUNK = 1024;

export { SAMPLE_NO_ID, SAMPLE_SETTINGS };

/**
 * One row of the sampling settings tensor, f32 [B, 8]:
 *   [0] temperature (≤ 0 → greedy)   [1] top_k (0 = off; integer ≤ 256)   [2] top_p (≥ 1 = off)
 *   [3] repetition_penalty (1 = off)  [4] u, the uniform draw in [0, 1)   [5] greedy flag (≠ 0 → argmax)
 *   [6], [7] reserved, 0.
 */
export interface SampleRow {
  readonly options: SamplingOptions;
  /** The multinomial's uniform in [0, 1) (runtime/sampler.ts seededRandom()() for the CPU's stream). */
  readonly u: number;
}

/** Packs the [B, 8] settings tensor the `sample` op reads (upload as f32). Throws on settings it cannot honour. */
export function packSampleSettings(rows: readonly SampleRow[]): Float32Array {
  const out = new Float32Array(rows.length * SAMPLE_SETTINGS);
  rows.forEach(({ options: o, u }, b) => {
    const topK = o.topK ?? 0;
    if (!(u >= 0 && u < 1)) throw new Error(`[sample] row ${b}: u must be in [0, 1), got ${u}`);
    if (!Number.isInteger(topK) || topK < 0 || topK > SAMPLE_TOPK_CAP) throw new Error(`[sample] row ${b}: topK ${topK} must be an integer in 0..${SAMPLE_TOPK_CAP}`);
    out.set([o.doSample ? (o.temperature ?? 1) : 0, topK, o.topP ?? 1, o.repetitionPenalty ?? 1, u, o.doSample ? 0 : 1, 0, 0], b * SAMPLE_SETTINGS);
  });
  return out;
}

/**
 * Token ids [B] u32 drawn from logits [B, V] f32 exactly as runtime/sampler.ts sampleToken would with random() = u
 * (repetition penalty → temperature → top-k with ties → top-p → multinomial; greedy rows → argmax), so one graph
 * serves a mixed batch and a decode step reads back 4 bytes per sequence.
 * settings: f32 [B, 8] from packSampleSettings; prevIds: u32 [B, P] previously seen ids, 0xffffffff = empty slot.
 * Lowering: sample_mask (seen-id bitmap) → sample_chunk (top 256 of each 1024-chunk + softmax partials) →
 * sample_merge × ⌈log4(V/1024)⌉ (row top 256) → sample_final (top-k/top-p/draw; tail search past rank 256).
 * `out`: a u32 state tensor [B] to write the ids into (see argmax).
 */
export function sample(g: Graph, logits: Tensor, settings: Tensor, prevIds: Tensor, name: string, out?: Tensor): Tensor {
  check(logits.shape.length === 2 && logits.shape[1]! > 0, 'sample', 'logits must be [B, V]', logits);
  const [rows, vocab] = [logits.shape[0]!, logits.shape[1]!];
  check(settings.shape.length === 2 && settings.shape[0] === rows && settings.shape[1] === SAMPLE_SETTINGS, 'sample', `settings must be [B, ${SAMPLE_SETTINGS}]`, logits, settings);
  check(prevIds.shape.length === 2 && prevIds.shape[0] === rows && prevIds.shape[1]! > 0, 'sample', 'prevIds must be [B, P] with P ≥ 1', logits, prevIds);
  checkDtype('sample', logits, ['f32']);
  checkDtype('sample', settings, ['f32']);
  checkDtype('sample', prevIds, ['u32']);
  const prevLen = prevIds.shape[1]!;
  const words = Math.ceil(vocab / 32);
  const chunks = Math.ceil(vocab / CHUNK);
  const K = SAMPLE_TOPK_CAP;

  const seen = g.tensor(`${name}.seen`, [rows, words], 'u32');
  const stats = g.tensor(`${name}.stats`, [rows, chunks, 2], 'f32');
  let lists = chunks;
  let cand = g.tensor(`${name}.cand0`, [rows, lists, K, 2], 'u32');
  const dispatches: Dispatch[] = [
    { kernel: sampleMaskKernel, bindings: { prev_ids: prevIds, seen }, params: { rows, vocab, words, prev_len: prevLen }, grid: [rows, 1, 1] },
    { kernel: sampleChunkKernel, bindings: { logits, seen, settings, cand, stats }, params: { rows, vocab, words, chunks }, grid: [rows * chunks, 1, 1] },
  ];
  for (let round = 1; lists > 1; round++) {
    const next = Math.ceil(lists / 4);
    const out = g.tensor(`${name}.cand${round}`, [rows, next, K, 2], 'u32');
    dispatches.push({ kernel: sampleMergeKernel, bindings: { cand_in: cand, cand_out: out }, params: { rows, lists_in: lists, lists_out: next }, grid: [rows * next, 1, 1] });
    cand = out;
    lists = next;
  }
  if (out) {
    checkDtype('sample', out, ['u32']);
    check(numel(out.shape) === rows, 'sample', `out must hold ${rows} ids`, logits, out);
  }
  const ids = out ?? g.tensor(name, [rows], 'u32');
  dispatches.push({ kernel: sampleFinalKernel, bindings: { logits, seen, settings, cand, stats, out: ids }, params: { rows, vocab, words, chunks }, grid: [rows, 1, 1] });
  g.add({
    op: 'sample',
    name,
    inputs: [logits, settings, prevIds],
    outputs: [ids],
    dispatches,
    // One read of the logits (the tail search, when it runs, re-reads them up to 18 times).
    cost: { flops: 8 * rows * vocab, bytes: 4 * rows * (vocab + 2 * prevLen + 8) + 8 * rows * chunks * K * 2 },
    reference: (env) => env.set(ids.id, sampleRows(valueOf(env, logits), valueOf(env, settings), valueOf(env, prevIds), rows, vocab, prevLen)),
  });
  return ids;
}
