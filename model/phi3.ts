// Phi-3 (modeling_phi3.py of the InternVL2-4B repository): the Llama shape with fused projections — `qkv_proj`
// (rows q, then k, then v; no bias), `o_proj`, `gate_up_proj` (gate rows, then up) and `down_proj` — RMSNorms,
// half-split RoPE with LongRoPE's frequencies (model/rope_scaling.ts), head_dim 96.
import type { LlmConfig } from '../loader/config.js';
import type { Gpu } from '../runtime/device.js';
import type { Graph } from '../runtime/graph.js';
import { linear } from '../runtime/ops/linear.js';
import { swiglu } from '../runtime/ops/swiglu.js';
import type { Tensor } from '../runtime/tensor.js';
import { type AttentionStep, type LanguageModel, decoderModel, qkvViews, rmsNormOf } from './decoder.js';
import { splitRows } from './weight_rows.js';
import type { Linear, Norm } from './weights.js';

/** Phi3DecoderLayer; gate_up_proj is split at load into its halves `gate_up_proj.gate` and `.up` (preparePhi3). */
export interface Phi3Layer {
  readonly self_attn: { readonly qkv_proj: Linear; readonly o_proj: Linear };
  readonly mlp: { readonly gate_up_proj: { readonly gate: Tensor; readonly up: Tensor }; readonly down_proj: Linear };
  readonly input_layernorm: Norm;
  readonly post_attention_layernorm: Norm;
}

/** Phi3ForCausalLM's tensors under `language_model`. */
export interface Phi3Weights {
  readonly model: { readonly embed_tokens: { readonly weight: Tensor }; readonly layers: readonly Phi3Layer[]; readonly norm: Norm };
  readonly lm_head?: Linear;
}

/** h + Phi3Attention(input_layernorm(h)): qkv_proj (norm as its prologue), RoPE + cache + attention, o_proj (+ h). */
function attentionBlock(g: Graph, w: Phi3Layer, c: LlmConfig, h: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const qkv = linear(g, h, w.self_attn.qkv_proj.weight, undefined, `${name}.self_attn.qkv_proj`, { rmsNorm: rmsNormOf(w.input_layernorm.weight, c) });
  const { q, k, v } = qkvViews(qkv, c);
  const o = step.attend(g, layer, q, k, v, `${name}.self_attn.core`); // [T, Hq·Dh]
  return linear(g, o, w.self_attn.o_proj.weight, undefined, `${name}.res1`, { residual: h });
}

/** h + Phi3MLP(post_attention_layernorm(h)): gate, up = gate_up_proj(x).chunk(2); down_proj(up · silu(gate)). */
function mlpBlock(g: Graph, w: Phi3Layer, c: LlmConfig, h: Tensor, name: string): Tensor {
  const { gate, up } = w.mlp.gate_up_proj;
  const act = swiglu(g, h, gate, up, `${name}.mlp.act`, { rmsNorm: rmsNormOf(w.post_attention_layernorm.weight, c) });
  return linear(g, act, w.mlp.down_proj.weight, undefined, name, { residual: h });
}

/** Phi3ForCausalLM over its weights: the decoder layers, final norm and lm_head. */
export function phi3(w: Phi3Weights, c: LlmConfig): LanguageModel {
  const m = w.model;
  return decoderModel(c, { embedTokens: m.embed_tokens.weight, layers: m.layers, norm: m.norm.weight, head: w.lm_head?.weight }, (g, layer, h, step, i, name) =>
    mlpBlock(g, layer, c, attentionBlock(g, layer, c, h, step, i, name), name),
  );
}

/** gate_up_proj [2F, H] → `gate_up_proj.gate` and `gate_up_proj.up` [F, H]: views of its buffer where they can be. */
export function preparePhi3(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>, c: LlmConfig): Promise<Map<string, Tensor>> {
  const F = c.intermediate_size;
  return splitRows(gpu, tensors, 'split-gate-up', (name) => {
    const m = /^(language_model\.model\.layers\.\d+\.mlp\.gate_up_proj)\.weight$/.exec(name);
    return m ? [{ name: `${m[1]}.gate`, row: 0, rows: F }, { name: `${m[1]}.up`, row: F, rows: F }] : [];
  });
}
