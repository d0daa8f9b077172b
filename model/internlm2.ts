// InternLM2 (modeling_internlm2.py of the InternVL2-2B/8B repositories): the Llama shape with InternLM2's names —
// RMSNorm `attention_norm`/`ffn_norm`, attention through one packed `wqkv` (no bias) with GQA and half-split RoPE,
// `wo`, a SwiGLU `feed_forward` (w2(silu(w1(x)) · w3(x))), the final `norm` and the `output` head.
import type { LlmConfig } from '../loader/config.js';
import { llmHeadDim } from '../loader/llm_config.js';
import type { Gpu } from '../runtime/device.js';
import type { Graph } from '../runtime/graph.js';
import { linear } from '../runtime/ops/linear.js';
import { swiglu } from '../runtime/ops/swiglu.js';
import type { Tensor } from '../runtime/tensor.js';
import { type AttentionStep, type LanguageModel, decoderModel, qkvViews, rmsNormOf } from './decoder.js';
import { type RowBlock, joinRows } from './weight_rows.js';
import type { Linear, Norm } from './weights.js';

/** InternLM2DecoderLayer; wqkv's rows are reordered to [q; k; v] at load (prepareInternLM2). */
export interface InternLM2Layer {
  readonly attention: { readonly wqkv: Linear; readonly wo: Linear };
  readonly feed_forward: { readonly w1: Linear; readonly w3: Linear; readonly w2: Linear };
  readonly attention_norm: Norm;
  readonly ffn_norm: Norm;
}

/** InternLM2ForCausalLM's tensors under `language_model`. */
export interface InternLM2Weights {
  readonly model: { readonly tok_embeddings: { readonly weight: Tensor }; readonly layers: readonly InternLM2Layer[]; readonly norm: Norm };
  readonly output?: Linear;
}

/** h + InternLM2Attention(attention_norm(h)): wqkv (norm as its prologue), RoPE + cache + attention, wo (+ h). */
function attentionBlock(g: Graph, w: InternLM2Layer, c: LlmConfig, h: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const qkv = linear(g, h, w.attention.wqkv.weight, undefined, `${name}.attention.wqkv`, { rmsNorm: rmsNormOf(w.attention_norm.weight, c) });
  const { q, k, v } = qkvViews(qkv, c);
  const o = step.attend(g, layer, q, k, v, `${name}.attention.core`); // [T, Hq·Dh]
  return linear(g, o, w.attention.wo.weight, undefined, `${name}.res1`, { residual: h });
}

/** h + InternLM2MLP(ffn_norm(h)) = h + w2(silu(w1(x)) · w3(x)). */
function feedForwardBlock(g: Graph, w: InternLM2Layer, c: LlmConfig, h: Tensor, name: string): Tensor {
  const f = w.feed_forward;
  const act = swiglu(g, h, f.w1.weight, f.w3.weight, `${name}.feed_forward.act`, { rmsNorm: rmsNormOf(w.ffn_norm.weight, c) });
  return linear(g, act, f.w2.weight, undefined, name, { residual: h });
}

/** InternLM2ForCausalLM over its weights: the decoder layers, final norm and the output head. */
export function internLM2(w: InternLM2Weights, c: LlmConfig): LanguageModel {
  const m = w.model;
  return decoderModel(c, { embedTokens: m.tok_embeddings.weight, layers: m.layers, norm: m.norm.weight, head: w.output?.weight }, (g, layer, h, step, i, name) =>
    feedForwardBlock(g, layer, c, attentionBlock(g, layer, c, h, step, i, name), name),
  );
}

/**
 * wqkv's rows come packed per kv group — [Hkv, Hq/Hkv + 2, Dh, H]: the group's query heads, then its key, then its
 * value (upstream splits them with `rearrange(…, 'b q (h gs d) -> b q h gs d')`). They are reordered to all query
 * heads, then all keys, then all values, so the attention reads q, k and v as column views as for Qwen2.
 */
export function prepareInternLM2(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>, c: LlmConfig): Promise<Map<string, Tensor>> {
  const Dh = llmHeadDim(c);
  const groups = c.num_key_value_heads;
  const perGroup = c.num_attention_heads / groups;
  const rowOf = (group: number, slot: number) => (group * (perGroup + 2) + slot) * Dh;
  return joinRows(gpu, tensors, 'reorder-wqkv', (name) => {
    if (!/^language_model\.model\.layers\.\d+\.attention\.wqkv\.weight$/.test(name)) return [];
    const range = (slot: number, count: number) => (group: number): RowBlock => ({ part: name, row: rowOf(group, slot), rows: count * Dh });
    const each = (block: (group: number) => RowBlock) => Array.from({ length: groups }, (_, g) => block(g));
    return [{ name, blocks: [...each(range(0, perGroup)), ...each(range(perGroup, 1)), ...each(range(perGroup + 1, 1))] }];
  });
}
