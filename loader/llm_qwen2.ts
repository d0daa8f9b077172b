// Qwen2ForCausalLM (transformers modeling_qwen2.py): InternVL2-1B (Qwen2-0.5B-Instruct), InternVL2.5-1B and
// InternVL3-1B (Qwen2.5-0.5B-Instruct). q/k/v projections with bias, o_proj and the MLP without.
import type { Fields } from './config_fields.js';
import { type LlmConfig, type LlmLayout, type LlmTensor, decoderTensors, llmHeadDim } from './llm_config.js';

export const qwen2Layout: LlmLayout = {
  architecture: 'Qwen2ForCausalLM',
  check(l: Fields) {
    l.optionalIs('rope_scaling', [], 'RoPE scaling is not implemented for Qwen2');
    l.optionalIs('use_sliding_window', [false], 'sliding-window attention is not implemented');
  },
  tensors(l: LlmConfig): LlmTensor[] {
    const [H, F] = [l.hidden_size, l.intermediate_size];
    const kv = llmHeadDim(l) * l.num_key_value_heads;
    return decoderTensors(l, { embed: 'model.embed_tokens.weight', head: 'lm_head.weight' }, [
      ['self_attn.q_proj.weight', H, H],
      ['self_attn.q_proj.bias', H],
      ['self_attn.k_proj.weight', kv, H],
      ['self_attn.k_proj.bias', kv],
      ['self_attn.v_proj.weight', kv, H],
      ['self_attn.v_proj.bias', kv],
      ['self_attn.o_proj.weight', H, H],
      ['mlp.gate_proj.weight', F, H],
      ['mlp.up_proj.weight', F, H],
      ['mlp.down_proj.weight', H, F],
      ['input_layernorm.weight', H],
      ['post_attention_layernorm.weight', H],
    ]);
  },
};
