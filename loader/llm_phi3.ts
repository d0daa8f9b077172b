// Phi3ForCausalLM (modeling_phi3.py in the InternVL2-4B repository; Phi-3-mini-128k-instruct): fused `qkv_proj`
// (rows q, then k, then v) and `gate_up_proj` (gate rows, then up), no biases, head_dim 96, LongRoPE.
import type { Fields } from './config_fields.js';
import { type LlmConfig, type LlmLayout, type LlmTensor, decoderTensors, llmHeadDim } from './llm_config.js';

/** llm_config of Phi-3 (configuration_phi3.py). */
export interface Phi3Config extends LlmConfig {
  readonly original_max_position_embeddings: number;
  /** LongRoPE ('su' in the InternVL2-4B era, 'longrope' later): per-frequency divisors of RoPE's inverse frequencies. */
  readonly rope_scaling?: { readonly type: 'su' | 'longrope'; readonly short_factor: number[]; readonly long_factor: number[] } | null;
  readonly sliding_window?: number | null;
}

export const phi3Layout: LlmLayout = {
  architecture: 'Phi3ForCausalLM',
  check(l: Fields) {
    l.int('original_max_position_embeddings');
    const scaling = l.obj.rope_scaling;
    if (scaling !== undefined && scaling !== null) {
      const s = l.sub('rope_scaling');
      s.is('type', ['su', 'longrope'], 'only LongRoPE is implemented for Phi-3');
      const half = llmHeadDim(l.obj as unknown as LlmConfig) / 2;
      for (const key of ['short_factor', 'long_factor']) {
        const f = s.obj[key];
        if (!Array.isArray(f) || f.length !== half || !f.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
          s.fail(key, `must be ${half} positive numbers (one per RoPE frequency, head_dim / 2), got ${JSON.stringify(f)?.slice(0, 80)}`);
        }
      }
    }
    const window = l.obj.sliding_window;
    const maxPositions = l.int('max_position_embeddings');
    // Upstream applies the window only in its flash-attention path, and only to sequences longer than it: one at
    // least max_position_embeddings long changes nothing (Phi-3-mini-128k has 262144).
    if (window !== undefined && window !== null && !(Number.isSafeInteger(window) && (window as number) >= maxPositions)) {
      l.fail('sliding_window', `${JSON.stringify(window)} is shorter than max_position_embeddings ${maxPositions}; sliding-window attention is not implemented`);
    }
    l.optionalIs('partial_rotary_factor', [1], 'partial rotary embeddings are not implemented');
  },
  tensors(l: LlmConfig): LlmTensor[] {
    const [H, F, Dh] = [l.hidden_size, l.intermediate_size, llmHeadDim(l)];
    return decoderTensors(l, { embed: 'model.embed_tokens.weight', head: 'lm_head.weight' }, [
      ['self_attn.o_proj.weight', H, l.num_attention_heads * Dh],
      ['self_attn.qkv_proj.weight', (l.num_attention_heads + 2 * l.num_key_value_heads) * Dh, H],
      ['mlp.gate_up_proj.weight', 2 * F, H],
      ['mlp.down_proj.weight', H, F],
      ['input_layernorm.weight', H],
      ['post_attention_layernorm.weight', H],
    ]);
  },
};
