// Qwen2 (transformers modeling_qwen2.py): RMSNorm, attention with q/k/v bias and GQA, half-split RoPE,
// SwiGLU MLP, final norm, untied lm_head. Dims come from llm_config only. How keys and values reach the
// attention (prefill over the prompt, or decode through the paged cache) is the caller's AttentionStep.
//
// Legend: T tokens in this pass, H hidden (896), Hq/Hkv query/kv heads (14/2), Dh head dim (64), F mlp (4864), V vocab.
import type { Qwen2Config } from '../loader/config.js';
import type { Graph } from '../runtime/graph.js';
import type { AttentionView } from '../runtime/ops/attention.js';
import { linear } from '../runtime/ops/linear.js';
import { addRmsNorm } from '../runtime/ops/add_rms_norm.js';
import { rmsNorm } from '../runtime/ops/rms_norm.js';
import { swiglu } from '../runtime/ops/swiglu.js';
import type { Tensor } from '../runtime/tensor.js';
import type { LanguageModelWeights, Qwen2Layer } from './weights.js';

export interface AttentionStep {
  /**
   * q [T, Hq·Dh], k, v [T, Hkv·Dh] straight from the projections (before RoPE; column views of qkv_proj's output):
   * rotate q and k, store this layer's k (rotated) and v in the cache, and return softmax(q·kᵀ·scale + mask)·v,
   * [T, Hq·Dh].
   */
  attend(g: Graph, layer: number, q: AttentionView, k: AttentionView, v: AttentionView, name: string): Tensor;
}

export function headDim(c: Qwen2Config): number {
  return c.hidden_size / c.num_attention_heads;
}

/**
 * Qwen2Attention.forward: q/k/v projections with bias (one linear over the joined qkv_proj rows, read back as
 * column views), RoPE on q and k (in the step's attend), attention, o_proj without bias.
 */
function selfAttn(g: Graph, w: Qwen2Layer['self_attn'], c: Qwen2Config, x: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const qkv = linear(g, x, w.qkv_proj.weight, w.qkv_proj.bias, `${name}.qkv_proj`); // [T, (Hq + 2·Hkv)·Dh]
  const [qWidth, kvWidth] = [c.num_attention_heads * headDim(c), c.num_key_value_heads * headDim(c)];
  const stride = qWidth + 2 * kvWidth;
  const q = { tensor: qkv, offset: 0, stride }; // [T, Hq·Dh]
  const k = { tensor: qkv, offset: qWidth, stride }; // [T, Hkv·Dh]
  const v = { tensor: qkv, offset: qWidth + kvWidth, stride }; // [T, Hkv·Dh]
  const o = step.attend(g, layer, q, k, v, `${name}.core`); // [T, Hq·Dh]
  return linear(g, o, w.o_proj.weight, undefined, `${name}.o_proj`);
}

/** Qwen2MLP: down(silu(gate(x)) · up(x)). */
function mlp(g: Graph, w: Qwen2Layer['mlp'], x: Tensor, name: string): Tensor {
  // act_fn(gate_proj(x)) * up_proj(x): one fused GEMV in decode, two linears + silu_mul in prefill.
  const act = swiglu(g, x, w.gate_proj.weight, w.up_proj.weight, `${name}.act`); // [T, F]
  return linear(g, act, w.down_proj.weight, undefined, `${name}.down_proj`);
}

/**
 * Qwen2DecoderLayer.forward (pre-norm residual blocks) for layer i, with each residual add fused with the norm that
 * follows it (runtime/ops/add_rms_norm.ts): takes the residual stream h and x = input_layernorm(h), returns the new
 * stream `llm.layers.{i}` and `nextNorm` applied to it (the next layer's input_layernorm, or the final norm).
 */
export function decoderLayer(g: Graph, w: Qwen2Layer, c: Qwen2Config, h: Tensor, x: Tensor, nextNorm: { weight: Tensor; name: string }, step: AttentionStep, layer: number, name: string): { h: Tensor; x: Tensor } {
  const a = selfAttn(g, w.self_attn, c, x, step, layer, `${name}.self_attn`);
  const r1 = addRmsNorm(g, h, a, w.post_attention_layernorm.weight, c.rms_norm_eps, `${name}.res1`, `${name}.post_attention_layernorm`);
  const m = mlp(g, w.mlp, r1.y, `${name}.mlp`);
  const r2 = addRmsNorm(g, r1.h, m, nextNorm.weight, c.rms_norm_eps, name, nextNorm.name);
  return { h: r2.h, x: r2.y };
}

/** Qwen2Model.forward from input embeddings: all layers, then the final norm (`llm.norm`). */
export function qwen2Model(g: Graph, w: LanguageModelWeights, c: Qwen2Config, embeds: Tensor, step: AttentionStep): Tensor {
  const layers = w.model.layers;
  let h = embeds;
  let x = rmsNorm(g, h, layers[0]!.input_layernorm.weight, c.rms_norm_eps, 'llm.layers.0.input_layernorm');
  layers.forEach((layer, i) => {
    const next = i + 1 < layers.length ? { weight: layers[i + 1]!.input_layernorm.weight, name: `llm.layers.${i + 1}.input_layernorm` } : { weight: w.model.norm.weight, name: 'llm.norm' };
    ({ h, x } = decoderLayer(g, layer, c, h, x, next, step, i, `llm.layers.${i}`));
  });
  return x;
}

/** lm_head (untied, no bias): [R, H] → logits [R, V]. */
export function lmHead(g: Graph, w: LanguageModelWeights, h: Tensor): Tensor {
  return linear(g, h, w.lm_head.weight, undefined, 'logits');
}
