// What every supported language model's llm_config has, and what an architecture's layout provides
// (loader/llm_layouts.ts keeps the list).
import type { Fields } from './config_fields.js';

/** The llm_config fields every supported decoder reads (HF names); each architecture's config extends it. */
export interface LlmConfig {
  readonly architectures: string[];
  readonly model_type?: string;
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly intermediate_size: number;
  readonly hidden_act: 'silu';
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
  readonly max_position_embeddings: number;
  readonly tie_word_embeddings: boolean;
  readonly bos_token_id?: number | null;
  readonly eos_token_id?: number | number[] | null;
  readonly pad_token_id?: number | null;
  readonly [key: string]: unknown;
}

export interface LlmTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface LlmLayout {
  /** llm_config.architectures[0], e.g. "Qwen2ForCausalLM". */
  readonly architecture: string;
  /** Rejects, naming the field, what this runtime does not implement of the architecture (beyond checkDecoder). */
  check(l: Fields): void;
  /** The `language_model.*` tensors in PyTorch state_dict order (no head when the embeddings are tied). */
  tensors(l: LlmConfig): LlmTensor[];
}

/** Head dimension of the decoder's attention. */
export function llmHeadDim(l: LlmConfig): number {
  return l.hidden_size / l.num_attention_heads;
}

/** One tensor of a decoder layer: its name under `model.layers.{i}.` and its shape. */
export type LayerTensor = readonly [name: string, ...shape: number[]];

/**
 * The `language_model.*` tensors of a decoder-only model in state_dict order: the embeddings, each layer's
 * `layer` list, the final norm, and the head unless the embeddings are tied (safetensors' save drops a tied one).
 */
export function decoderTensors(l: LlmConfig, names: { readonly embed: string; readonly head: string }, layer: readonly LayerTensor[]): LlmTensor[] {
  const out: LlmTensor[] = [];
  const add = (name: string, shape: readonly number[]) => out.push({ name: `language_model.${name}`, shape });
  add(names.embed, [l.vocab_size, l.hidden_size]);
  for (let i = 0; i < l.num_hidden_layers; i++) for (const [name, ...shape] of layer) add(`model.layers.${i}.${name}`, shape);
  add('model.norm.weight', [l.hidden_size]);
  if (!l.tie_word_embeddings) add(names.head, [l.vocab_size, l.hidden_size]);
  return out;
}
