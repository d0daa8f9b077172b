// InternLM2ForCausalLM (modeling_internlm2.py in the InternVL2-2B/8B repositories; internlm2-chat-1_8b): one packed
// `attention.wqkv` per layer, `attention.wo`, a SwiGLU `feed_forward` (w1 gate, w3 up, w2 down), RMSNorms
// `attention_norm`/`ffn_norm`, `tok_embeddings` and an `output` head.
import type { Fields } from './config_fields.js';
import { type LlmConfig, type LlmLayout, type LlmTensor, decoderTensors, llmHeadDim } from './llm_config.js';

/** llm_config of InternLM2 (configuration_internlm2.py). */
export interface InternLM2Config extends LlmConfig {
  /** Bias on wqkv and wo; InternLM2Config defaults it to true, every InternVL member sets false. */
  readonly bias: false;
  readonly rope_scaling?: { readonly type: 'dynamic'; readonly factor: number } | null;
}

export const internLM2Layout: LlmLayout = {
  architecture: 'InternLM2ForCausalLM',
  check(l: Fields) {
    l.is('bias', [false], 'wqkv/wo biases are not implemented (InternVL2-2B/8B set bias false)');
    const scaling = l.obj.rope_scaling;
    if (scaling !== undefined && scaling !== null) {
      // Dynamic NTK rescales RoPE's base only for sequences longer than max_position_embeddings, which the
      // runtime never runs (generation clamps its context to it); linear scaling would change every position.
      const s = l.sub('rope_scaling');
      s.is('type', ['dynamic'], 'only dynamic NTK scaling, a no-op within max_position_embeddings, is implemented');
      s.positive('factor');
    }
  },
  tensors(l: LlmConfig): LlmTensor[] {
    const [H, F, Dh] = [l.hidden_size, l.intermediate_size, llmHeadDim(l)];
    return decoderTensors(l, { embed: 'model.tok_embeddings.weight', head: 'output.weight' }, [
      ['attention.wqkv.weight', (l.num_attention_heads + 2 * l.num_key_value_heads) * Dh, H],
      ['attention.wo.weight', H, l.num_attention_heads * Dh],
      ['feed_forward.w1.weight', F, H],
      ['feed_forward.w3.weight', F, H],
      ['feed_forward.w2.weight', H, F],
      ['attention_norm.weight', H],
      ['ffn_norm.weight', H],
    ]);
  },
};
