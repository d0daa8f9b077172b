// sample at the real vocabulary (V = 151655) for B = 1 and 4: the HF-style setting (T 0.7, top-k 50, top-p 0.9,
// penalty 1.1 over 256 seen ids), greedy, and temperature-only with u = 0.999 (the draw lands past the 256
// candidates: the tail search, the slowest path). Logits are std-3 normals: the op's cost depends on values.
import { packSampleSettings, sample, SAMPLE_NO_ID } from '../../runtime/ops/sample.js';
import type { SamplingOptions } from '../../runtime/sampler.js';
import { encodeValues, writeTensor } from '../../runtime/upload.js';
import type { BenchCase } from '../case.js';
import { VOCAB } from '../shapes.js';

const SETTINGS: [string, SamplingOptions, number][] = [
  ['T0.7 k50 p0.9 pen1.1', { doSample: true, temperature: 0.7, topK: 50, topP: 0.9, repetitionPenalty: 1.1 }, 0.5],
  ['greedy', { doSample: false }, 0],
  ['T1 tail (u 0.999)', { doSample: true, temperature: 1 }, 0.999],
];

function sampleCase(rows: number, variant: string, options: SamplingOptions, u: number): BenchCase {
  return {
    op: 'sample',
    name: `[${rows}, ${VOCAB}]`,
    variant,
    build: (g, bench) => {
      let s = 12345;
      const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
      const normal = () => 3 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      const logits = bench.tensor('logits', [rows, VOCAB], 'f32');
      writeTensor(bench.gpu, logits, encodeValues('f32', Array.from({ length: rows * VOCAB }, normal)));
      const settings = bench.tensor('settings', [rows, 8], 'f32');
      writeTensor(bench.gpu, settings, packSampleSettings(Array.from({ length: rows }, () => ({ options, u }))));
      const prevIds = bench.tensor('prev_ids', [rows, 256], 'u32');
      writeTensor(bench.gpu, prevIds, Uint32Array.from({ length: rows * 256 }, (_, i) => (i % 7 === 6 ? SAMPLE_NO_ID : Math.floor(next() * VOCAB))));
      return [sample(g, logits, settings, prevIds, 'ids')];
    },
  };
}

export const sampleCases: BenchCase[] = [1, 4].flatMap((rows) => SETTINGS.map(([variant, o, u]) => sampleCase(rows, variant, o, u)));
