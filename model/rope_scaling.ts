// RoPE as a language model's llm_config asks for it (`rope_scaling`): the inverse frequencies the rotation kernels
// read, a factor on cos and sin, and the longest context for which this is upstream's math.
//   none / InternLM2's dynamic NTK: HF's default inverse frequencies; dynamic NTK changes the base only past
//     max_position_embeddings, which is therefore the limit.
//   LongRoPE (Phi-3, type 'su'/'longrope'): 1 / (short_factor[i] · θ^(2i/Dh)) and cos, sin · √(1 + ln(s)/ln(orig))
//     with s = max_position_embeddings / original_max_position_embeddings. Upstream switches every position to
//     long_factor once a forward pass reaches past original_max_position_embeddings, so contexts stop there.
import type { LlmConfig } from '../loader/config.js';
import { llmHeadDim } from '../loader/llm_config.js';
import type { Phi3Config } from '../loader/llm_phi3.js';
import { ropeInvFreq } from '../runtime/reference/elementwise.js';

export interface RopeSetup {
  /** f32 [Dh/2]. */
  readonly invFreq: Float32Array;
  /**
   * The factor on cos and sin. q and k are both rotated, so it scales q·k by its square: the attention scale
   * carries it (keys are cached unscaled).
   */
  readonly cosSinFactor: number;
  /** Positions 0 … maxContext − 1 are computed as upstream does. */
  readonly maxContext: number;
}

export function ropeSetup(c: LlmConfig): RopeSetup {
  const Dh = llmHeadDim(c);
  const scaling = (c as Phi3Config).rope_scaling;
  if (scaling && (scaling.type === 'su' || scaling.type === 'longrope')) {
    const original = (c as Phi3Config).original_max_position_embeddings;
    const s = c.max_position_embeddings / original;
    return {
      invFreq: ropeInvFreq(Dh, c.rope_theta, scaling.short_factor),
      cosSinFactor: s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(original)),
      maxContext: original,
    };
  }
  return { invFreq: ropeInvFreq(Dh, c.rope_theta), cosSinFactor: 1, maxContext: c.max_position_embeddings };
}
