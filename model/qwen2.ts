// Qwen2 (transformers modeling_qwen2.py): RMSNorm, attention with q/k/v bias and GQA, half-split RoPE,
// SwiGLU MLP, final norm, untied lm_head. Dims come from llm_config only. How keys and values reach the
// attention (prefill over the prompt, or decode through the paged cache) is the caller's AttentionStep.
//
// Legend: T tokens in this pass, H hidden (896), Hq/Hkv query/kv heads (14/2), Dh head dim (64), F mlp (4864), V vocab.
import type { Qwen2Config } from '../loader/config.js';
import type { Graph } from '../runtime/graph.js';
import type { AttentionView } from '../runtime/ops/attention.js';
import { type RmsNormPrologue, linear } from '../runtime/ops/linear.js';
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

/** Qwen2RMSNorm as the prologue of the linear that reads it (runtime/ops/linear.ts: fused into the decode GEMVs). */
function norm(w: { weight: Tensor }, c: Qwen2Config): RmsNormPrologue {
  return { weight: w.weight, eps: c.rms_norm_eps };
}

/**
 * h + Qwen2Attention(input_layernorm(h)): q/k/v projections with bias (one linear over the joined qkv_proj rows,
 * read back as column views), RoPE on q and k and the cache append (in the step's attend), attention, o_proj
 * without bias; the norm is the qkv linear's prologue and the residual add o_proj's epilogue.
 */
function attentionBlock(g: Graph, w: Qwen2Layer, c: Qwen2Config, h: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const a = w.self_attn;
  const qkv = linear(g, h, a.qkv_proj.weight, a.qkv_proj.bias, `${name}.self_attn.qkv_proj`, { rmsNorm: norm(w.input_layernorm, c) }); // [T, (Hq + 2·Hkv)·Dh]
  const [qWidth, kvWidth] = [c.num_attention_heads * headDim(c), c.num_key_value_heads * headDim(c)];
  const stride = qWidth + 2 * kvWidth;
  const q = { tensor: qkv, offset: 0, stride }; // [T, Hq·Dh]
  const k = { tensor: qkv, offset: qWidth, stride }; // [T, Hkv·Dh]
  const v = { tensor: qkv, offset: qWidth + kvWidth, stride }; // [T, Hkv·Dh]
  const o = step.attend(g, layer, q, k, v, `${name}.self_attn.core`); // [T, Hq·Dh]
  return linear(g, o, a.o_proj.weight, undefined, `${name}.res1`, { residual: h });
}

/** h + Qwen2MLP(post_attention_layernorm(h)) = h + down(silu(gate(x)) · up(x)); norm and residual fused likewise. */
function mlpBlock(g: Graph, w: Qwen2Layer, c: Qwen2Config, h: Tensor, name: string): Tensor {
  // act_fn(gate_proj(x)) * up_proj(x): one fused GEMV in decode, two linears + silu_mul in prefill.
  const act = swiglu(g, h, w.mlp.gate_proj.weight, w.mlp.up_proj.weight, `${name}.mlp.act`, { rmsNorm: norm(w.post_attention_layernorm, c) }); // [T, F]
  return linear(g, act, w.mlp.down_proj.weight, undefined, name, { residual: h });
}

/** Qwen2DecoderLayer.forward (pre-norm residual blocks): the residual stream h in, `llm.layers.{i}` out. */
export function decoderLayer(g: Graph, w: Qwen2Layer, c: Qwen2Config, h: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  return mlpBlock(g, w, c, attentionBlock(g, w, c, h, step, layer, name), name);
}

/**
 * Qwen2Model.forward from input embeddings through every layer; returns the last layer's residual stream. The
 * final norm is the caller's: an op of its own in prefill (`llm.norm`, compared in parity), lm_head's prologue in
 * decode (finalNorm).
 */
export function qwen2Model(g: Graph, w: LanguageModelWeights, c: Qwen2Config, embeds: Tensor, step: AttentionStep): Tensor {
  let h = embeds;
  w.model.layers.forEach((layer, i) => (h = decoderLayer(g, layer, c, h, step, i, `llm.layers.${i}`)));
  return h;
}

/** Qwen2Model's final norm as a prologue (decode: fused into lm_head). */
export function finalNorm(w: LanguageModelWeights, c: Qwen2Config): RmsNormPrologue {
  return norm(w.model.norm, c);
}

/** lm_head (untied, no bias): [R, H] → logits [R, V], of rmsNorm(h) when given the final norm. */
export function lmHead(g: Graph, w: LanguageModelWeights, h: Tensor, rmsNorm?: RmsNormPrologue): Tensor {
  return linear(g, h, w.lm_head.weight, undefined, 'logits', rmsNorm ? { rmsNorm } : {});
}
