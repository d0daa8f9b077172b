// RoPE as a language model's llm_config asks for it (`rope_scaling`): the inverse frequencies the rotation kernels
// read, a factor on cos and sin, and the longest context for which this is upstream's math.
//   none / InternLM2's dynamic NTK: HF's default inverse frequencies; dynamic NTK changes the base only past
//     max_position_embeddings, which is therefore the limit.
//   LongRoPE (Phi-3, type 'su'/'longrope'): 1 / (factor[i] · θ^(2i/Dh)) and cos, sin · √(1 + ln(s)/ln(orig)) with
//     s = max_position_embeddings / original_max_position_embeddings; upstream's factors are short_factor while a
//     forward pass's last position + 1 ≤ orig, long_factor for every position of a pass past it. So a prompt longer
//     than orig is rotated with the long table throughout, and a decode step at position p ≥ orig with it.
// Positions stay below 32768, where the rotation kernels' angle reduction is exact (kernels/rope.wgsl).
import type { LlmConfig } from '../loader/config.js';
import { llmHeadDim } from '../loader/llm_config.js';
import type { Phi3Config } from '../loader/llm_phi3.js';
import { ropeInvFreq } from '../runtime/reference/elementwise.js';

export interface RopeSetup {
  /** f32 [Dh/2] (LongRoPE: the short table). */
  readonly invFreq: Float32Array;
  /** LongRoPE: the long table, for passes whose last position is ≥ longFrom. */
  readonly long?: { readonly invFreq: Float32Array; readonly longFrom: number };
  /**
   * The factor on cos and sin. q and k are both rotated, so it scales q·k by its square: the attention scale
   * carries it (keys are cached unscaled).
   */
  readonly cosSinFactor: number;
  /** Positions 0 … maxContext − 1 are computed as upstream does. */
  readonly maxContext: number;
}

/** Where the rotation kernels' Cody–Waite reduction stops being exact (positions · max inv_freq < 2^15·π/2). */
const EXACT_POSITIONS = 32768;

export function ropeSetup(c: LlmConfig): RopeSetup {
  const Dh = llmHeadDim(c);
  const scaling = (c as Phi3Config).rope_scaling;
  if (scaling && (scaling.type === 'su' || scaling.type === 'longrope')) {
    const original = (c as Phi3Config).original_max_position_embeddings;
    const s = c.max_position_embeddings / original;
    return {
      invFreq: ropeInvFreq(Dh, c.rope_theta, scaling.short_factor),
      long: { invFreq: ropeInvFreq(Dh, c.rope_theta, scaling.long_factor), longFrom: original },
      cosSinFactor: s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(original)),
      maxContext: Math.min(c.max_position_embeddings, EXACT_POSITIONS),
    };
  }
  return { invFreq: ropeInvFreq(Dh, c.rope_theta), cosSinFactor: 1, maxContext: Math.min(c.max_position_embeddings, EXACT_POSITIONS) };
}
