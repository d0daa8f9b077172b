// config.json of an `internvl_chat` checkpoint, typed with the HF field names, and checked for what the
// runtime implements (the language model's part by its architecture: loader/llm_layouts.ts). Anything it cannot run is rejected here with the field's name, before any loading.
import { Fields, parseJsonObject } from './config_fields.js';
import type { LlmConfig } from './llm_config.js';
import { checkLlm } from './llm_layouts.js';
import { type QuantizationConfig, parseQuantizationConfig } from './quantization.js';

export type { LlmConfig } from './llm_config.js';

/** vision_config (InternVisionConfig, configuration_intern_vit.py). */
export interface VisionConfig {
  readonly architectures?: string[];
  readonly model_type?: string;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
  readonly patch_size: number;
  readonly image_size: number;
  readonly num_channels: number;
  readonly norm_type: 'layer_norm';
  readonly layer_norm_eps: number;
  readonly qkv_bias: boolean;
  readonly qk_normalization: boolean;
  readonly hidden_act: 'gelu';
  readonly [key: string]: unknown;
}

/** The top level (InternVLChatConfig, configuration_internvl_chat.py). */
export interface InternVLChatConfig {
  /** A saved quantized checkpoint's format (loader/quantization.ts). */
  readonly quantization_config?: QuantizationConfig;
  readonly model_type: 'internvl_chat';
  readonly architectures?: string[];
  readonly vision_config: VisionConfig;
  readonly llm_config: LlmConfig;
  readonly downsample_ratio: number;
  readonly force_image_size: number;
  readonly dynamic_image_size: boolean;
  readonly min_dynamic_patch: number;
  readonly max_dynamic_patch: number;
  readonly use_thumbnail: boolean;
  readonly ps_version: 'v2';
  readonly select_layer: -1;
  readonly template: string;
  readonly [key: string]: unknown;
}

export interface GenerationConfig {
  readonly eos_token_id?: number | number[];
  readonly bos_token_id?: number;
  readonly pad_token_id?: number | null;
  readonly do_sample?: boolean;
  readonly temperature?: number;
  readonly top_k?: number;
  readonly top_p?: number;
  readonly repetition_penalty?: number;
  readonly max_new_tokens?: number;
  readonly [key: string]: unknown;
}

function checkVision(v: Fields): void {
  const hidden = v.int('hidden_size');
  const heads = v.int('num_attention_heads');
  if (hidden % heads !== 0) v.fail('hidden_size', `${hidden} is not divisible by num_attention_heads ${heads}`);
  v.int('num_hidden_layers');
  v.int('intermediate_size');
  v.int('patch_size');
  v.int('image_size');
  v.int('num_channels');
  v.positive('layer_norm_eps');
  v.bool('qkv_bias');
  v.is('norm_type', ['layer_norm'], 'InternViT-300M uses LayerNorm; rms_norm is the 6B tower');
  v.is('qk_normalization', [false], 'q_norm/k_norm are not implemented');
  v.is('hidden_act', ['gelu'], 'the vision MLP kernel is exact erf GELU');
}

/** Parses and validates config.json; `file` is only used in messages. */
export function parseConfig(text: string, file = 'config.json'): InternVLChatConfig {
  const top = new Fields(file, parseJsonObject(text, file), '');
  top.is('model_type', ['internvl_chat'], 'this runtime implements InternVL2 chat models');
  const vision = top.sub('vision_config');
  checkVision(vision);
  checkLlm(top.sub('llm_config'));
  top.is('ps_version', ['v2'], 'pixel shuffle v1 transposes differently and is not implemented');
  top.is('select_layer', [-1], 'only the last vision layer feeds the projector');
  top.is('downsample_ratio', [0.5], 'pixel shuffle merges 2×2 patches');
  top.bool('dynamic_image_size');
  top.bool('use_thumbnail');
  top.optionalIs('use_backbone_lora', [0, false], 'LoRA adapters are not implemented');
  top.optionalIs('use_llm_lora', [0, false], 'LoRA adapters are not implemented');
  const minPatch = top.int('min_dynamic_patch');
  const maxPatch = top.int('max_dynamic_patch');
  if (maxPatch < minPatch) top.fail('max_dynamic_patch', `${maxPatch} is below min_dynamic_patch ${minPatch}`);
  if (typeof top.obj.template !== 'string') top.fail('template', 'must be a string');
  const size = top.int('force_image_size');
  const patch = vision.int('patch_size');
  if (size % patch !== 0) top.fail('force_image_size', `${size} is not a multiple of vision_config.patch_size ${patch}`);
  const visionSize = vision.int('image_size');
  // The position embedding has (image_size / patch_size)^2 + 1 rows; resizing it is not implemented.
  if (visionSize !== size) top.fail('force_image_size', `${size} differs from vision_config.image_size ${visionSize}`);
  const grid = size / patch;
  if (grid % 2 !== 0) top.fail('force_image_size', `the patch grid ${grid}×${grid} must be even for the 2×2 pixel shuffle`);
  parseQuantizationConfig(top.obj, file);
  return top.obj as unknown as InternVLChatConfig;
}

/** Parses generation_config.json (all fields optional; only types are checked). */
export function parseGenerationConfig(text: string, file = 'generation_config.json'): GenerationConfig {
  const obj = parseJsonObject(text, file);
  const eos = obj.eos_token_id;
  if (eos !== undefined && !Number.isSafeInteger(eos) && !(Array.isArray(eos) && eos.every((e) => Number.isSafeInteger(e)))) {
    throw new Error(`${file}: eos_token_id: must be a token id or a list of token ids, got ${JSON.stringify(eos)}`);
  }
  for (const key of ['temperature', 'top_p', 'repetition_penalty'] as const) {
    if (obj[key] !== undefined && typeof obj[key] !== 'number') throw new Error(`${file}: ${key}: must be a number, got ${JSON.stringify(obj[key])}`);
  }
  for (const key of ['top_k', 'max_new_tokens'] as const) {
    if (obj[key] !== undefined && !Number.isSafeInteger(obj[key])) throw new Error(`${file}: ${key}: must be an integer, got ${JSON.stringify(obj[key])}`);
  }
  return obj as GenerationConfig;
}

/** Image tokens per tile: int((force_image_size // patch_size)^2 · downsample_ratio^2), modeling_internvl_chat.py. */
export function numImageToken(config: InternVLChatConfig): number {
  const grid = Math.floor(config.force_image_size / config.vision_config.patch_size);
  return Math.trunc(grid * grid * config.downsample_ratio ** 2);
}

/** Patch grid side of one tile (32 for 448/14). */
export function patchGrid(config: InternVLChatConfig): number {
  return Math.floor(config.force_image_size / config.vision_config.patch_size);
}
