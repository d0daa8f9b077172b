// Float64 reference for GPU sampling: the CPU sampler itself (runtime/sampler.ts sampleToken), one row at a time with
// random() = the row's u. Shapes: logits [B, V] f32 values, settings [B, 8] (layout in runtime/ops/sample.ts),
// prevIds [B, P] u32 with 0xffffffff for empty slots. Returns the token ids [B] as float64.
import { type SamplingOptions, sampleToken } from '../sampler.js';

export const SAMPLE_SETTINGS = 8;
export const SAMPLE_NO_ID = 0xffffffff;

/** The CPU sampler's options for one row of the settings tensor (the GPU reads the same f32 values). */
export function optionsFromSettings(settings: ArrayLike<number>, row: number): { options: SamplingOptions; u: number } {
  const s = row * SAMPLE_SETTINGS;
  const temperature = settings[s]!;
  const greedy = settings[s + 5]! !== 0 || !(temperature > 0);
  const topK = settings[s + 1]!;
  return {
    options: {
      doSample: !greedy,
      temperature: greedy ? 1 : temperature,
      topK: topK > 0 ? Math.floor(topK) : 0,
      topP: settings[s + 2]!,
      repetitionPenalty: settings[s + 3]!,
    },
    u: settings[s + 4]!,
  };
}

export function sampleRows(logits: ArrayLike<number>, settings: ArrayLike<number>, prevIds: ArrayLike<number>, rows: number, vocab: number, prevLen: number): Float64Array {
  const out = new Float64Array(rows);
  for (let b = 0; b < rows; b++) {
    const row = Float32Array.from({ length: vocab }, (_, i) => logits[b * vocab + i]!);
    const prev: number[] = [];
    for (let j = 0; j < prevLen; j++) {
      const id = prevIds[b * prevLen + j]!;
      if (id !== SAMPLE_NO_ID) prev.push(id);
    }
    const { options, u } = optionsFromSettings(settings, b);
    out[b] = sampleToken(row, options, prev, () => u);
  }
  return out;
}
