import { describe, expect, it } from 'vitest';
import { type SamplingOptions, applyRepetitionPenalty, sampleToken } from '../../runtime/sampler.js';
import { SAMPLE_NO_ID, SAMPLE_TOPK_CAP, type SampleRow, packSampleSettings, sample } from '../../runtime/ops/sample.js';
import { optionsFromSettings } from '../../runtime/reference/sample.js';
import type { Tensor } from '../../runtime/tensor.js';
import { TestGraph, getGpu, rng } from '../harness.js';

// The one float-rounding allowance (documented in kernels/sample_final.wgsl): past the 256 sorted candidates the
// GPU accumulates the kept mass in f32, and there single weights are often < 1e-6 of the total, so the GPU may
// pick a near neighbour in sampling order. Such a row passes only if its token is what the CPU sampler picks for
// some u' within U_TOL of u (the draw is monotone in u). Tokens among the candidates must match exactly.
const U_TOL = 1e-5;

/** Runs the graph and its reference; every row must match (or be a tail neighbour within U_TOL, see above). */
async function checkTokens(tg: TestGraph, ids: Tensor, logits: Float64Array, settings: Float32Array, prev: Uint32Array, vocab: number, label: string): Promise<number> {
  const { got, want } = await tg.run([ids]);
  const g = got.get(ids)!, w = want.get(ids)!;
  const P = prev.length / g.length;
  let neighbours = 0;
  for (let b = 0; b < g.length; b++) {
    if (g[b] === w[b]) continue;
    const row = () => Float32Array.from(logits.subarray(b * vocab, (b + 1) * vocab));
    const seen = Array.from(prev.subarray(b * P, (b + 1) * P)).filter((id) => id !== SAMPLE_NO_ID);
    const { options, u } = optionsFromSettings(settings, b);
    const s = row();
    applyRepetitionPenalty(s, seen, options.repetitionPenalty ?? 1);
    const rank = (t: number) => {
      let n = 0;
      for (let i = 0; i < vocab; i++) if (s[i]! > s[t]! || (s[i] === s[t] && i < t)) n++;
      return n;
    };
    const lo = rank(sampleToken(row(), options, seen, () => Math.max(0, u - U_TOL)));
    const hi = rank(sampleToken(row(), options, seen, () => Math.min(1 - 1e-12, u + U_TOL)));
    const rg = rank(g[b]!), rw = rank(w[b]!);
    if (!(Math.max(rg, rw) >= SAMPLE_TOPK_CAP && lo <= rg && rg <= hi)) {
      throw new Error(`${label}: row ${b} got token ${g[b]} (rank ${rg}), want ${w[b]} (rank ${rw}); ranks for u ± ${U_TOL}: ${lo}..${hi}`);
    }
    neighbours++;
  }
  return neighbours;
}

// Every setting the CPU sampler has, alone and combined; penalised rows list repeated ids and empty slots.
const SETTINGS: Record<string, SamplingOptions> = {
  greedy: { doSample: false },
  'greedy+penalty': { doSample: false, repetitionPenalty: 1.3 },
  'temperature 1': { doSample: true, temperature: 1 },
  'temperature 0.7': { doSample: true, temperature: 0.7 },
  'top-k 1': { doSample: true, temperature: 1, topK: 1 },
  'top-k 50': { doSample: true, temperature: 0.8, topK: 50 },
  'top-k 256': { doSample: true, temperature: 1.5, topK: 256 },
  'top-p 0.1': { doSample: true, temperature: 1, topP: 0.1 },
  'top-p 0.9': { doSample: true, temperature: 1, topP: 0.9 },
  'top-k 50 top-p 0.9': { doSample: true, temperature: 0.7, topK: 50, topP: 0.9 },
  'penalty 1.3 top-k 50': { doSample: true, temperature: 0.8, topK: 50, repetitionPenalty: 1.3 },
  'penalty 1.3 top-p 0.9': { doSample: true, temperature: 1.2, topP: 0.9, repetitionPenalty: 1.3 },
  'penalty 0.7 temperature 2': { doSample: true, temperature: 2, repetitionPenalty: 0.7 },
};
const NAMES = Object.keys(SETTINGS);

/** logits [B, V] (std 3; `ties` rounds to 0.5 so ranks and the k-th value tie), prevIds [B, 12] with repeats. */
async function runCase(label: string, vocab: number, names: string[], seed: number, ties: boolean) {
  const rows = names.length;
  const r = rng(seed);
  const tg = new TestGraph(await getGpu());
  let values = r.normal(rows * vocab, 3);
  if (ties) values = values.map((v) => Math.round(v * 2) / 2);
  const P = 12;
  const prev = new Uint32Array(rows * P);
  for (let b = 0; b < rows; b++) {
    const ids = r.int(4, vocab);
    const row = [ids[0]!, ids[1]!, ids[0]!, ids[2]!, ids[3]!, ids[1]!, SAMPLE_NO_ID, ids[2]!, SAMPLE_NO_ID, ids[3]!, ids[0]!, SAMPLE_NO_ID];
    // the row's argmax among the seen ids, so the penalty changes greedy and top-k choices
    let best = 0;
    for (let i = 1; i < vocab; i++) if (values[b * vocab + i]! > values[b * vocab + best]!) best = i;
    row[4] = best;
    prev.set(row, b * P);
  }
  const settingRows: SampleRow[] = names.map((n) => ({ options: SETTINGS[n]!, u: r.next() }));
  const logits = tg.tensor('logits', [rows, vocab], 'f32', values, 'input');
  const settings = tg.tensor('settings', [rows, 8], 'f32', packSampleSettings(settingRows), 'input');
  const prevIds = tg.tensor('prev_ids', [rows, P], 'u32', prev, 'input');
  const ids = sample(tg.g, logits, settings, prevIds, 'ids');
  await checkTokens(tg, ids, tg.env.get(logits.id)!, packSampleSettings(settingRows), prev, vocab, `sample ${label} [${rows}, ${vocab}] (${names.join(', ')})`);
}

describe('sample: GPU token == CPU sampler token', () => {
  for (const vocab of [7, 1000, 151655]) {
    for (const ties of vocab === 151655 ? [false] : [false, true]) {
      // B = 3: consecutive settings share one graph (a mixed batch); B = 1: one row per setting at small V.
      for (let i = 0; i < NAMES.length; i += 3) {
        const names = NAMES.slice(i, i + 3);
        it(`V=${vocab}${ties ? ' ties' : ''} B=${names.length}: ${names.join(' | ')}`, () => runCase('batch', vocab, names, vocab + i * 31 + (ties ? 7 : 0), ties));
      }
      if (vocab === 1000) {
        for (const [i, n] of NAMES.entries()) it(`V=${vocab}${ties ? ' ties' : ''} B=1: ${n}`, () => runCase('row', vocab, [n], 17 + i * 101 + (ties ? 5 : 0), ties));
      }
    }
  }
  it('V=151655 B=1: temperature 1 draws in the tail (u near 1)', async () => {
    // u = 0.999 lands past the 256 candidates for std-3 logits: exercises the radix tail search.
    for (const [n, u] of [['temperature 1', 0.999], ['top-p 0.9', 0.995], ['penalty 0.7 temperature 2', 0.9]] as const) {
      const vocab = 151655;
      const tg = new TestGraph(await getGpu());
      const logits = tg.tensor('logits', [1, vocab], 'f32', rng(99).normal(vocab, 3), 'input');
      const packed = packSampleSettings([{ options: SETTINGS[n]!, u }]);
      const settings = tg.tensor('settings', [1, 8], 'f32', packed, 'input');
      const prev = Uint32Array.from([5, 5, SAMPLE_NO_ID]);
      const prevIds = tg.tensor('prev_ids', [1, 3], 'u32', prev, 'input');
      await checkTokens(tg, sample(tg.g, logits, settings, prevIds, 'ids'), tg.env.get(logits.id)!, packed, prev, vocab, `sample tail ${n} u=${u}`);
    }
  });
});

describe('sample: frequencies', () => {
  it('V=5, 2000 rows of random u: counts match the distribution (and the CPU sampler row by row)', async () => {
    const probs = [0.05, 0.4, 0.1, 0.3, 0.15];
    const rows = 2000;
    const r = rng(2024);
    const tg = new TestGraph(await getGpu());
    const logits = tg.tensor('logits', [rows, 5], 'f32', Array.from({ length: rows * 5 }, (_, i) => Math.log(probs[i % 5]!)), 'input');
    const settings = tg.tensor('settings', [rows, 8], 'f32', packSampleSettings(Array.from({ length: rows }, () => ({ options: { doSample: true, temperature: 1 }, u: r.next() }))), 'input');
    const prevIds = tg.tensor('prev_ids', [rows, 1], 'u32', new Uint32Array(rows).fill(SAMPLE_NO_ID), 'input');
    const ids = sample(tg.g, logits, settings, prevIds, 'ids');
    const { got, want } = await tg.run([ids]);
    const g = got.get(ids)!;
    expect(Array.from(g)).toEqual(Array.from(want.get(ids)!));
    const counts = [0, 0, 0, 0, 0];
    for (const t of g) counts[t]!++;
    for (const [i, p] of probs.entries()) {
      const sigma = Math.sqrt(rows * p * (1 - p));
      expect(Math.abs(counts[i]! - rows * p), `token ${i}: ${counts[i]} of ${rows}, expected ${rows * p}`).toBeLessThan(4 * sigma);
    }
  });
});
