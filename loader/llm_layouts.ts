// The language models an InternVL checkpoint can carry, keyed by llm_config.architectures[0]: what each one's
// llm_config must say for this runtime to run it, and its checkpoint tensors. Their forward passes are in
// model/language_models.ts. Adding a member: a layout file here, a model file there, a template, a preset.
import type { Fields } from './config_fields.js';
import type { LlmConfig, LlmLayout } from './llm_config.js';
import { internLM2Layout } from './llm_internlm2.js';
import { phi3Layout } from './llm_phi3.js';
import { qwen2Layout } from './llm_qwen2.js';

export const LLM_LAYOUTS: readonly LlmLayout[] = [qwen2Layout, internLM2Layout, phi3Layout];

/** The layout of llm_config.architectures[0]; an unknown one is an error listing the supported ones. */
function findLayout(archs: unknown): LlmLayout | undefined {
  return Array.isArray(archs) && archs.length === 1 ? LLM_LAYOUTS.find((a) => a.architecture === archs[0]) : undefined;
}

function unsupported(archs: unknown): string {
  return `${JSON.stringify(archs)} is not supported (supported: ${LLM_LAYOUTS.map((a) => `["${a.architecture}"]`).join(', ')})`;
}

/** The layout of a checked llm_config. */
export function layoutOf(l: LlmConfig): LlmLayout {
  const layout = findLayout(l.architectures);
  if (!layout) throw new Error(`llm_config.architectures: ${unsupported(l.architectures)}`);
  return layout;
}

/** Checks llm_config: the dimensions every decoder shares, then the architecture's own fields. */
export function checkLlm(l: Fields): void {
  const layout = findLayout(l.obj.architectures) ?? l.fail('architectures', unsupported(l.obj.architectures));
  const hidden = l.int('hidden_size');
  const heads = l.int('num_attention_heads');
  const kvHeads = l.int('num_key_value_heads');
  if (hidden % heads !== 0) l.fail('hidden_size', `${hidden} is not divisible by num_attention_heads ${heads}`);
  if (heads % kvHeads !== 0) l.fail('num_key_value_heads', `num_attention_heads ${heads} is not a multiple of ${kvHeads}`);
  const headDim = 'head_dim' in l.obj ? l.int('head_dim') : hidden / heads;
  if (headDim !== hidden / heads) l.fail('head_dim', `${headDim} differs from hidden_size / num_attention_heads = ${hidden / heads}`);
  // RoPE rotates pairs (half-split), so the head dimension must be even.
  if (headDim % 2 !== 0) l.fail('hidden_size', `head_dim ${headDim} (hidden_size / num_attention_heads) is odd; RoPE needs it even`);
  l.int('vocab_size');
  l.int('num_hidden_layers');
  l.int('intermediate_size');
  l.int('max_position_embeddings');
  l.positive('rms_norm_eps');
  l.positive('rope_theta');
  l.bool('tie_word_embeddings');
  l.is('hidden_act', ['silu'], 'the LLM MLP kernel is SwiGLU');
  layout.check(l);
}
