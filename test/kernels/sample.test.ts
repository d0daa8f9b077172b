import { describe, expect, it } from 'vitest';
import type { SamplingOptions } from '../../model/sampler.js';
import { SAMPLE_NO_ID, type SampleRow, packSampleSettings, sample } from '../../runtime/ops/sample.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

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
  await checkGraph(tg, [ids], TOL.exact, `sample ${label} [${rows}, ${vocab}] (${names.join(', ')})`);
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
      const settings = tg.tensor('settings', [1, 8], 'f32', packSampleSettings([{ options: SETTINGS[n]!, u }]), 'input');
      const prevIds = tg.tensor('prev_ids', [1, 3], 'u32', [5, 5, SAMPLE_NO_ID], 'input');
      await checkGraph(tg, [sample(tg.g, logits, settings, prevIds, 'ids')], TOL.exact, `sample tail ${n} u=${u}`);
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
