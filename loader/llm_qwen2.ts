// Qwen2ForCausalLM (transformers modeling_qwen2.py): InternVL2-1B (Qwen2-0.5B-Instruct), InternVL2.5-1B and
// InternVL3-1B (Qwen2.5-0.5B-Instruct). q/k/v projections with bias, o_proj and the MLP without.
import type { Fields } from './config_fields.js';
import { type LlmConfig, type LlmLayout, type LlmTensor, llmHeadDim } from './llm_config.js';

/** llm_config of Qwen2 (transformers configuration_qwen2.py). */
export interface Qwen2Config extends LlmConfig {
  readonly use_sliding_window?: boolean;
}

export const qwen2Layout: LlmLayout = {
  architecture: 'Qwen2ForCausalLM',
  check(l: Fields) {
    l.optionalIs('rope_scaling', [], 'RoPE scaling is not implemented for Qwen2');
    l.optionalIs('use_sliding_window', [false], 'sliding-window attention is not implemented');
  },
  tensors(l: LlmConfig): LlmTensor[] {
    const H = l.hidden_size;
    const kv = llmHeadDim(l) * l.num_key_value_heads;
    const out: LlmTensor[] = [];
    const add = (name: string, ...shape: number[]) => out.push({ name: `language_model.${name}`, shape });
    add('model.embed_tokens.weight', l.vocab_size, H);
    for (let i = 0; i < l.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      add(`${p}.self_attn.q_proj.weight`, H, H);
      add(`${p}.self_attn.q_proj.bias`, H);
      add(`${p}.self_attn.k_proj.weight`, kv, H);
      add(`${p}.self_attn.k_proj.bias`, kv);
      add(`${p}.self_attn.v_proj.weight`, kv, H);
      add(`${p}.self_attn.v_proj.bias`, kv);
      add(`${p}.self_attn.o_proj.weight`, H, H);
      add(`${p}.mlp.gate_proj.weight`, l.intermediate_size, H);
      add(`${p}.mlp.up_proj.weight`, l.intermediate_size, H);
      add(`${p}.mlp.down_proj.weight`, H, l.intermediate_size);
      add(`${p}.input_layernorm.weight`, H);
      add(`${p}.post_attention_layernorm.weight`, H);
    }
    add('model.norm.weight', H);
    // An untied head is stored (SPEC §2.3); a tied one is dropped by safetensors' save.
    if (!l.tie_word_embeddings) add('lm_head.weight', l.vocab_size, H);
    return out;
  },
};
