// Qwen2 (transformers modeling_qwen2.py): RMSNorm, attention with q/k/v bias and GQA, half-split RoPE,
// SwiGLU MLP, final norm, untied lm_head. Dims come from llm_config only. How keys and values reach the
// attention (prefill over the prompt, or decode through the paged cache) is the caller's AttentionStep.
//
// Legend: T tokens in this pass, H hidden (896), Hq/Hkv query/kv heads (14/2), Dh head dim (64), F mlp (4864), V vocab.
import type { Qwen2Config } from '../loader/config.js';
import type { Graph } from '../runtime/graph.js';
import { linear } from '../runtime/ops/linear.js';
import { residual } from '../runtime/ops/residual.js';
import { rmsNorm } from '../runtime/ops/rms_norm.js';
import { rope } from '../runtime/ops/rope.js';
import { siluMul } from '../runtime/ops/silu_mul.js';
import type { Tensor } from '../runtime/tensor.js';
import type { LanguageModelWeights, Qwen2Layer } from './weights.js';

export interface AttentionStep {
  /** u32 [T]: each row's position in its sequence (RoPE). */
  readonly positions: Tensor;
  /** f32 [Dh/2]: HF's float32 inv_freq. */
  readonly invFreq: Tensor;
  /** Store this layer's k, v (after RoPE) in the cache and return softmax(q·kᵀ·scale + mask)·v, [T, Hq·Dh]. */
  attend(g: Graph, layer: number, q: Tensor, k: Tensor, v: Tensor, name: string): Tensor;
}

export function headDim(c: Qwen2Config): number {
  return c.hidden_size / c.num_attention_heads;
}

/** Qwen2Attention.forward: q/k/v projections with bias, RoPE on q and k, attention, o_proj without bias. */
function selfAttn(g: Graph, w: Qwen2Layer['self_attn'], x: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const q = linear(g, x, w.q_proj.weight, w.q_proj.bias, `${name}.q_proj`); // [T, Hq·Dh]
  const k = linear(g, x, w.k_proj.weight, w.k_proj.bias, `${name}.k_proj`); // [T, Hkv·Dh]
  const v = linear(g, x, w.v_proj.weight, w.v_proj.bias, `${name}.v_proj`); // [T, Hkv·Dh]
  const r = rope(g, q, k, step.positions, step.invFreq, `${name}.rope`);
  const o = step.attend(g, layer, r.q, r.k, v, `${name}.core`); // [T, Hq·Dh]
  return linear(g, o, w.o_proj.weight, undefined, `${name}.o_proj`);
}

/** Qwen2MLP: down(silu(gate(x)) · up(x)). */
function mlp(g: Graph, w: Qwen2Layer['mlp'], x: Tensor, name: string): Tensor {
  const gate = linear(g, x, w.gate_proj.weight, undefined, `${name}.gate_proj`); // [T, F]
  const up = linear(g, x, w.up_proj.weight, undefined, `${name}.up_proj`); // [T, F]
  return linear(g, siluMul(g, gate, up, `${name}.act`), w.down_proj.weight, undefined, `${name}.down_proj`);
}

/** Qwen2DecoderLayer.forward (pre-norm residual blocks). h [T, H] → [T, H] named `llm.layers.{i}`. */
export function decoderLayer(g: Graph, w: Qwen2Layer, c: Qwen2Config, h: Tensor, step: AttentionStep, layer: number, name: string): Tensor {
  const a = selfAttn(g, w.self_attn, rmsNorm(g, h, w.input_layernorm.weight, c.rms_norm_eps, `${name}.input_layernorm`), step, layer, `${name}.self_attn`);
  h = residual(g, h, a, undefined, `${name}.res1`);
  const m = mlp(g, w.mlp, rmsNorm(g, h, w.post_attention_layernorm.weight, c.rms_norm_eps, `${name}.post_attention_layernorm`), `${name}.mlp`);
  return residual(g, h, m, undefined, name);
}

/** Qwen2Model.forward from input embeddings: all layers, then the final norm (`llm.norm`). */
export function qwen2Model(g: Graph, w: LanguageModelWeights, c: Qwen2Config, embeds: Tensor, step: AttentionStep): Tensor {
  let h = embeds;
  w.model.layers.forEach((layer, i) => {
    h = decoderLayer(g, layer, c, h, step, i, `llm.layers.${i}`);
  });
  return rmsNorm(g, h, w.model.norm.weight, c.rms_norm_eps, 'llm.norm');
}

/** lm_head (untied, no bias): [R, H] → logits [R, V]. */
export function lmHead(g: Graph, w: LanguageModelWeights, h: Tensor): Tensor {
  return linear(g, h, w.lm_head.weight, undefined, 'logits');
}
