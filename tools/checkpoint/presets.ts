// Model configurations for synthetic checkpoints. `full` is InternVL2-1B's config.json (SPEC §1, the S8 mirror,
// key order kept); the small presets keep its structure and the real 151655-token vocabulary (the tokenizer's
// ids must stay valid) and shrink every other dimension.
import { type ConfigJson, PyFloat } from './config_json.js';
import { type Family, FAMILY, vocabSize } from './families.js';

export type PresetName = 'full' | 'tiny' | 'micro';
export const PRESETS: readonly PresetName[] = ['full', 'tiny', 'micro'];

const f = (x: number) => new PyFloat(x);

interface LlmDims {
  hidden_size: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  num_hidden_layers: number;
  intermediate_size: number;
  max_window_layers: number;
}

interface Dims {
  image_size: number;
  vision: { hidden_size: number; num_attention_heads: number; num_hidden_layers: number; intermediate_size: number };
  llm: LlmDims;
}

const DIMS: Record<PresetName, Dims> = {
  full: {
    image_size: 448,
    vision: { hidden_size: 1024, num_attention_heads: 16, num_hidden_layers: 24, intermediate_size: 4096 },
    llm: { hidden_size: 896, num_attention_heads: 14, num_key_value_heads: 2, num_hidden_layers: 24, intermediate_size: 4864, max_window_layers: 24 },
  },
  // The real 448 tile (1024 patches, 256 image tokens), with head_dim 16 and GQA 2:1.
  tiny: {
    image_size: 448,
    vision: { hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 128 },
    llm: { hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 128, max_window_layers: 2 },
  },
  // A 56-pixel tile: 4×4 patches, 4 image tokens; for tests that must be fast on a CPU rasteriser.
  micro: {
    image_size: 56,
    vision: { hidden_size: 32, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 64 },
    llm: { hidden_size: 32, num_attention_heads: 2, num_key_value_heads: 1, num_hidden_layers: 2, intermediate_size: 64, max_window_layers: 2 },
  },
};

/**
 * Each member's own language model: in the full preset its real dims (InternVL2-2B: internlm2-chat-1_8b;
 * InternVL2-4B: Phi-3-mini), in the tiny one small dims that keep its head_dim (128, 96) and GQA shape.
 */
const MEMBER_LLM: Record<Family['architecture'], Partial<Record<PresetName, LlmDims>>> = {
  Qwen2ForCausalLM: {},
  InternLM2ForCausalLM: {
    full: { hidden_size: 2048, num_attention_heads: 16, num_key_value_heads: 8, num_hidden_layers: 24, intermediate_size: 8192, max_window_layers: 24 },
    tiny: { hidden_size: 256, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 128, max_window_layers: 2 },
  },
  Phi3ForCausalLM: {
    full: { hidden_size: 3072, num_attention_heads: 32, num_key_value_heads: 32, num_hidden_layers: 32, intermediate_size: 8192, max_window_layers: 32 },
    tiny: { hidden_size: 192, num_attention_heads: 2, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 128, max_window_layers: 2 },
  },
};

/** config.json content for a preset, as an ordered object (serialize with configJsonText). */
export function presetConfig(preset: PresetName, member: Family = FAMILY['internvl2-1b']): { [key: string]: ConfigJson } {
  const d = DIMS[preset];
  if (!d) throw new Error(`make_checkpoint: unknown preset ${JSON.stringify(preset)} (known: ${PRESETS.join(', ')})`);
  const llm = MEMBER_LLM[member.architecture][preset] ?? d.llm;
  return {
    _commit_hash: null,
    architectures: ['InternVLChatModel'],
    auto_map: {
      AutoConfig: 'configuration_internvl_chat.InternVLChatConfig',
      AutoModel: 'modeling_internvl_chat.InternVLChatModel',
      AutoModelForCausalLM: 'modeling_internvl_chat.InternVLChatModel',
    },
    downsample_ratio: f(0.5),
    dynamic_image_size: true,
    force_image_size: d.image_size,
    llm_config: LLM_CONFIG[member.architecture](llm, member),
    max_dynamic_patch: 12,
    min_dynamic_patch: 1,
    model_type: 'internvl_chat',
    ps_version: 'v2',
    select_layer: -1,
    template: member.template,
    torch_dtype: 'bfloat16',
    use_backbone_lora: 0,
    use_llm_lora: 0,
    use_thumbnail: true,
    vision_config: {
      architectures: ['InternVisionModel'],
      attention_dropout: f(0),
      drop_path_rate: f(0),
      dropout: f(0),
      hidden_act: 'gelu',
      hidden_size: d.vision.hidden_size,
      image_size: d.image_size,
      initializer_factor: f(1),
      initializer_range: f(0.02),
      intermediate_size: d.vision.intermediate_size,
      layer_norm_eps: f(1e-6),
      model_type: 'intern_vit_6b',
      norm_type: 'layer_norm',
      num_attention_heads: d.vision.num_attention_heads,
      num_channels: 3,
      num_hidden_layers: d.vision.num_hidden_layers,
      output_attentions: false,
      output_hidden_states: false,
      patch_size: 14,
      qk_normalization: false,
      qkv_bias: true,
      return_dict: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.37.2',
      use_bfloat16: true,
      use_flash_attn: true,
    },
  };
}

/** Qwen2's llm_config as InternVL2-1B's config.json has it (transformers 4.37 serializes every PretrainedConfig key). */
function qwen2Config(d: LlmDims, member: Family): { [key: string]: ConfigJson } {
  return {
    _name_or_path: member.llmName,
    add_cross_attention: false,
    architectures: ['Qwen2ForCausalLM'],
    _attn_implementation: 'flash_attention_2',
    attention_dropout: f(0),
    bad_words_ids: null,
    begin_suppress_tokens: null,
    bos_token_id: 151643,
    chunk_size_feed_forward: 0,
    cross_attention_hidden_size: null,
    decoder_start_token_id: null,
    diversity_penalty: f(0),
    do_sample: false,
    early_stopping: false,
    encoder_no_repeat_ngram_size: 0,
    eos_token_id: 151645,
    exponential_decay_length_penalty: null,
    finetuning_task: null,
    forced_bos_token_id: null,
    forced_eos_token_id: null,
    hidden_act: 'silu',
    hidden_size: d.hidden_size,
    id2label: { '0': 'LABEL_0', '1': 'LABEL_1' },
    initializer_range: f(0.02),
    intermediate_size: d.intermediate_size,
    is_decoder: false,
    is_encoder_decoder: false,
    label2id: { LABEL_0: 0, LABEL_1: 1 },
    length_penalty: f(1),
    max_length: 20,
    max_position_embeddings: 32768,
    max_window_layers: d.max_window_layers,
    min_length: 0,
    model_type: 'qwen2',
    no_repeat_ngram_size: 0,
    num_attention_heads: d.num_attention_heads,
    num_beam_groups: 1,
    num_beams: 1,
    num_hidden_layers: d.num_hidden_layers,
    num_key_value_heads: d.num_key_value_heads,
    num_return_sequences: 1,
    output_attentions: false,
    output_hidden_states: false,
    output_scores: false,
    pad_token_id: null,
    prefix: null,
    problem_type: null,
    pruned_heads: {},
    remove_invalid_values: false,
    repetition_penalty: f(1),
    return_dict: true,
    return_dict_in_generate: false,
    rms_norm_eps: f(1e-6),
    rope_theta: f(1000000),
    sep_token_id: null,
    sliding_window: 32768,
    suppress_tokens: null,
    task_specific_params: null,
    temperature: f(1),
    tf_legacy_loss: false,
    tie_encoder_decoder: false,
    tie_word_embeddings: false,
    tokenizer_class: null,
    top_k: 50,
    top_p: f(1),
    torch_dtype: 'bfloat16',
    torchscript: false,
    transformers_version: '4.37.2',
    typical_p: f(1),
    use_bfloat16: true,
    use_cache: true,
    use_sliding_window: false,
    vocab_size: vocabSize(member),
  };
}

/**
 * InternLM2's llm_config as InternVL2-2B's config.json has it (from memory of the official file: the keys the
 * runtime reads are certain — architectures, dims, bias false, rms_norm_eps 1e-5, rope_theta 1e6, dynamic NTK
 * rope_scaling, vocab 92553 — the rest of transformers' serialization is abridged).
 */
function internLM2Config(d: LlmDims, member: Family): { [key: string]: ConfigJson } {
  return {
    _name_or_path: member.llmName,
    architectures: ['InternLM2ForCausalLM'],
    attn_implementation: 'flash_attention_2',
    auto_map: {
      AutoConfig: 'configuration_internlm2.InternLM2Config',
      AutoModel: 'modeling_internlm2.InternLM2ForCausalLM',
      AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM',
    },
    bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: d.hidden_size,
    initializer_range: f(0.02),
    intermediate_size: d.intermediate_size,
    max_position_embeddings: 32768,
    model_type: 'internlm2',
    num_attention_heads: d.num_attention_heads,
    num_hidden_layers: d.num_hidden_layers,
    num_key_value_heads: d.num_key_value_heads,
    pad_token_id: 2,
    rms_norm_eps: f(1e-5),
    rope_scaling: { factor: f(2), type: 'dynamic' },
    rope_theta: f(1000000),
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.37.2',
    use_bfloat16: true,
    use_cache: true,
    vocab_size: vocabSize(member),
  };
}

/**
 * Phi-3-mini-128k's llm_config as InternVL2-4B's config.json has it (from memory of the official file: the keys the
 * runtime reads are certain — dims, rms_norm_eps 1e-5, rope_theta 1e4, LongRoPE 'su' switching at 4096 of 131072,
 * vocab 32020; the 48 short/long factors here are made up, smooth and increasing like the official ones).
 */
function phi3Config(d: LlmDims, member: Family): { [key: string]: ConfigJson } {
  const half = d.hidden_size / d.num_attention_heads / 2;
  const ramp = (top: number, power: number) => Array.from({ length: half }, (_, i) => f(Math.round((1 + (top - 1) * (i / Math.max(1, half - 1)) ** power) * 100) / 100));
  return {
    _name_or_path: member.llmName,
    architectures: ['Phi3ForCausalLM'],
    attention_dropout: f(0),
    auto_map: {
      AutoConfig: 'configuration_phi3.Phi3Config',
      AutoModelForCausalLM: 'modeling_phi3.Phi3ForCausalLM',
    },
    bos_token_id: 1,
    embd_pdrop: f(0),
    eos_token_id: 32000,
    hidden_act: 'silu',
    hidden_size: d.hidden_size,
    initializer_range: f(0.02),
    intermediate_size: d.intermediate_size,
    max_position_embeddings: 131072,
    model_type: 'phi3',
    num_attention_heads: d.num_attention_heads,
    num_hidden_layers: d.num_hidden_layers,
    num_key_value_heads: d.num_key_value_heads,
    original_max_position_embeddings: 4096,
    pad_token_id: 32000,
    resid_pdrop: f(0),
    rms_norm_eps: f(1e-5),
    rope_scaling: { long_factor: ramp(64, 4), short_factor: ramp(2.5, 3), type: 'su' },
    rope_theta: f(10000),
    sliding_window: 262144,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.37.2',
    use_bfloat16: true,
    use_cache: true,
    vocab_size: vocabSize(member),
  };
}

const LLM_CONFIG: Record<Family['architecture'], (d: LlmDims, member: Family) => { [key: string]: ConfigJson }> = {
  Qwen2ForCausalLM: qwen2Config,
  InternLM2ForCausalLM: internLM2Config,
  Phi3ForCausalLM: phi3Config,
};
