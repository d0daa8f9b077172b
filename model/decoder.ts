// What every language model of the family shares (model/language_models.ts keeps the list): the interface a
// forward pass gives the LLM passes, how attention reaches the cache (AttentionStep), and the pieces each
// architecture's decoder layers are built from. Legend: T tokens in this pass, H hidden, Hq/Hkv query/kv heads,
// Dh head dim, V vocab.
import type { LlmConfig } from '../loader/config.js';
import { llmHeadDim } from '../loader/llm_config.js';
import type { Graph } from '../runtime/graph.js';
import type { AttentionView } from '../runtime/ops/attention.js';
import { type RmsNormPrologue, linear } from '../runtime/ops/linear.js';
import type { Tensor } from '../runtime/tensor.js';

export interface AttentionStep {
  /**
   * q [T, Hq·Dh], k, v [T, Hkv·Dh] straight from the projections (before RoPE; column views of the joined qkv
   * output): rotate q and k, store this layer's k (rotated) and v in the cache, and return
   * softmax(q·kᵀ·scale + mask)·v, [T, Hq·Dh].
   */
  attend(g: Graph, layer: number, q: AttentionView, k: AttentionView, v: AttentionView, name: string): Tensor;
}

/** A loaded language model as the LLM passes (model/llm_pass.ts) use it, whatever its architecture. */
export interface LanguageModel {
  readonly config: LlmConfig;
  /** [V, H] token embeddings (bf16 or q4/q8). */
  readonly embedTokens: Tensor;
  /** Every decoder layer over input embeddings [T, H]; the last layer's residual stream (`llm.layers.{i}` each). */
  layers(g: Graph, embeds: Tensor, step: AttentionStep): Tensor;
  /** The final RMSNorm: an op of its own in prefill (`llm.norm`), the head's prologue in decode. */
  readonly finalNorm: RmsNormPrologue;
  /** [V, H] output head (the embeddings when tied). */
  readonly head: Tensor;
}

/** The parts every decoder-only model has, by role (each architecture names them its own way). */
export interface DecoderParts<L> {
  readonly embedTokens: Tensor;
  readonly layers: readonly L[];
  readonly norm: Tensor;
  /** The untied output head; the embeddings serve when absent. */
  readonly head?: Tensor;
}

/**
 * A LanguageModel from an architecture's parts and its decoder layer (`layer` maps the residual stream h through
 * layer i, named `llm.layers.{i}`).
 */
export function decoderModel<L>(c: LlmConfig, parts: DecoderParts<L>, layer: (g: Graph, w: L, h: Tensor, step: AttentionStep, i: number, name: string) => Tensor): LanguageModel {
  return {
    config: c,
    embedTokens: parts.embedTokens,
    layers(g, embeds, step) {
      let h = embeds;
      parts.layers.forEach((w, i) => (h = layer(g, w, h, step, i, `llm.layers.${i}`)));
      return h;
    },
    finalNorm: rmsNormOf(parts.norm, c),
    head: parts.head ?? parts.embedTokens,
  };
}

/** An RMSNorm weight as the prologue of the linear that reads it (fused into the decode GEMVs). */
export function rmsNormOf(weight: Tensor, c: LlmConfig): RmsNormPrologue {
  return { weight, eps: c.rms_norm_eps };
}

/** q, k and v as column views of one joined projection's output [T, (Hq + 2·Hkv)·Dh] whose rows were [q; k; v]. */
export function qkvViews(qkv: Tensor, c: LlmConfig): { q: AttentionView; k: AttentionView; v: AttentionView } {
  const Dh = llmHeadDim(c);
  const [qWidth, kvWidth] = [c.num_attention_heads * Dh, c.num_key_value_heads * Dh];
  const stride = qWidth + 2 * kvWidth;
  return {
    q: { tensor: qkv, offset: 0, stride },
    k: { tensor: qkv, offset: qWidth, stride },
    v: { tensor: qkv, offset: qWidth + kvWidth, stride },
  };
}

/** logits [R, V] = head(rmsNorm(h)) when given the final norm, else head(h). */
export function lmHead(g: Graph, lm: LanguageModel, h: Tensor, rmsNorm?: RmsNormPrologue): Tensor {
  return linear(g, h, lm.head, undefined, 'logits', rmsNorm ? { rmsNorm } : {});
}
