// Qwen2 (transformers modeling_qwen2.py): RMSNorm, attention with q/k/v bias and GQA, half-split RoPE, SwiGLU MLP,
// final norm, lm_head (or the tied embeddings). Dims come from llm_config only. How keys and values reach the
// attention (prefill over the prompt, or decode through the paged cache) is the caller's AttentionStep.
import type { LlmConfig } from '../loader/config.js';
import type { Gpu } from '../runtime/device.js';
import type { Graph } from '../runtime/graph.js';
import { linear } from '../runtime/ops/linear.js';
import { swiglu } from '../runtime/ops/swiglu.js';
import type { Tensor } from '../runtime/tensor.js';
import { type AttentionStep, type LanguageModel, decoderModel, qkvViews, rmsNormOf } from './decoder.js';
import { joinRows } from './weight_rows.js';
import type { Linear, Norm } from './weights.js';

/** Qwen2DecoderLayer; q/k/v_proj are joined into qkv_proj at load (prepareQwen2). */
export interface Qwen2Layer {
  readonly input_layernorm: Norm;
  readonly self_attn: { readonly qkv_proj: Linear; readonly o_proj: Linear };
  readonly post_attention_layernorm: Norm;
  readonly mlp: { readonly gate_proj: Linear; readonly up_proj: Linear; readonly down_proj: Linear };
}

/** Qwen2ForCausalLM's tensors under `language_model`. */
export interface Qwen2Weights {
  readonly model: { readonly embed_tokens: { readonly weight: Tensor }; readonly layers: readonly Qwen2Layer[]; readonly norm: Norm };
  readonly lm_head?: Linear;
}

/**
 * h + Qwen2Attention(input_layernorm(h)): q/k/v projections with bias (one linear over the joined qkv_proj rows,
 * read back as column views), RoPE on q and k and the cache append (in the step's attend), attention, o_proj
 * without bias; the norm is the qkv linear's prologue and the residual add o_proj's epilogue.
 */
function attentionBlock(g: Graph, w: Qwen2Layer, c: LlmConfig, h: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const a = w.self_attn;
  const qkv = linear(g, h, a.qkv_proj.weight, a.qkv_proj.bias, `${name}.self_attn.qkv_proj`, { rmsNorm: rmsNormOf(w.input_layernorm.weight, c) });
  const { q, k, v } = qkvViews(qkv, c);
  const o = step.attend(g, layer, q, k, v, `${name}.self_attn.core`); // [T, Hq·Dh]
  return linear(g, o, a.o_proj.weight, undefined, `${name}.res1`, { residual: h });
}

/** h + Qwen2MLP(post_attention_layernorm(h)) = h + down(silu(gate(x)) · up(x)); norm and residual fused likewise. */
function mlpBlock(g: Graph, w: Qwen2Layer, c: LlmConfig, h: Tensor, name: string): Tensor {
  // act_fn(gate_proj(x)) * up_proj(x): one fused GEMV in decode, two linears + silu_mul in prefill.
  const act = swiglu(g, h, w.mlp.gate_proj.weight, w.mlp.up_proj.weight, `${name}.mlp.act`, { rmsNorm: rmsNormOf(w.post_attention_layernorm.weight, c) });
  return linear(g, act, w.mlp.down_proj.weight, undefined, name, { residual: h });
}

/** Qwen2ForCausalLM over its weights: Qwen2DecoderLayer.forward (pre-norm residual blocks), final norm, the head. */
export function qwen2(w: Qwen2Weights, c: LlmConfig): LanguageModel {
  const m = w.model;
  return decoderModel(c, { embedTokens: m.embed_tokens.weight, layers: m.layers, norm: m.norm.weight, head: w.lm_head?.weight }, (g, layer, h, step, i, name) =>
    mlpBlock(g, layer, c, attentionBlock(g, layer, c, h, step, i, name), name),
  );
}

const QKV = ['q_proj', 'k_proj', 'v_proj'] as const;

/**
 * q_proj, k_proj and v_proj of every layer joined into one `qkv_proj` (vLLM's QKVParallelLinear): rows [q; k; v] of
 * the three weights and their biases, so a layer projects q, k and v in one linear — one dispatch instead of
 * three, and in decode one GEMV launch that fills the GPU three times better for k and v.
 */
export function prepareQwen2(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>> {
  return joinRows(gpu, tensors, 'fuse-qkv', (name) => {
    const m = /^(language_model\.model\.layers\.\d+\.self_attn)\.q_proj\.(weight|bias)$/.exec(name);
    if (!m) return [];
    const [prefix, kind] = [m[1]!, m[2]!];
    return [{ name: `${prefix}.qkv_proj.${kind}`, blocks: QKV.map((p) => ({ part: `${prefix}.${p}.${kind}` })) }];
  });
}
