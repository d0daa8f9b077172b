import { describe, expect, it } from 'vitest';
import { numImageToken, parseConfig, parseGenerationConfig, patchGrid } from '../loader/config.js';
import { llmHeadDim } from '../loader/llm_config.js';
import { configJsonText, pythonFloatRepr } from '../tools/checkpoint/config_json.js';
import { FAMILY } from '../tools/checkpoint/families.js';
import { GENERATION_CONFIG_JSON } from '../tools/checkpoint/make.js';
import { PRESETS, presetConfig } from '../tools/checkpoint/presets.js';

const fullText = configJsonText(presetConfig('full'));

/** The full config with one field changed (path like 'llm_config.hidden_act'), or deleted when value is undefined. */
function edited(path: string, value: unknown): string {
  const json = JSON.parse(fullText) as Record<string, unknown>;
  const keys = path.split('.');
  let obj = json;
  for (const k of keys.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  if (value === undefined) delete obj[keys.at(-1)!];
  else obj[keys.at(-1)!] = value;
  return JSON.stringify(json);
}

describe('parseConfig', () => {
  it('reads InternVL2-1B with HF field names', () => {
    const c = parseConfig(fullText);
    expect(c.model_type).toBe('internvl_chat');
    expect(c.vision_config.hidden_size).toBe(1024);
    expect(c.vision_config.layer_norm_eps).toBe(1e-6);
    expect(c.llm_config.num_key_value_heads).toBe(2);
    expect(c.llm_config.vocab_size).toBe(151655);
    expect(c.llm_config.rope_theta).toBe(1e6);
    expect(c.llm_config.tie_word_embeddings).toBe(false);
    expect(c.downsample_ratio).toBe(0.5);
    expect(numImageToken(c)).toBe(256);
    expect(patchGrid(c)).toBe(32);
    expect(llmHeadDim(c.llm_config)).toBe(64);
  });

  it('writes the official file format (Python float repr, 3732 bytes as the S8 mirror)', () => {
    expect(fullText.length).toBe(3732);
    expect(fullText).toContain('"rms_norm_eps": 1e-06,');
    expect(fullText).toContain('"rope_theta": 1000000.0,');
    expect(fullText).toContain('"downsample_ratio": 0.5,');
    expect(pythonFloatRepr(0)).toBe('0.0');
    expect(pythonFloatRepr(1e-5)).toBe('1e-05');
    expect(pythonFloatRepr(0.02)).toBe('0.02');
  });

  it('accepts every preset and derives tokens from the config', () => {
    const tokens = PRESETS.map((p) => numImageToken(parseConfig(configJsonText(presetConfig(p)))));
    expect(tokens).toEqual([256, 256, 4]);
  });

  const rejects: [string, unknown, RegExp][] = [
    ['model_type', 'llava', /config\.json: model_type: "llava" is not supported/],
    ['ps_version', 'v1', /ps_version: "v1" is not supported/],
    ['select_layer', -4, /select_layer: -4 is not supported/],
    ['downsample_ratio', 0.25, /downsample_ratio: 0.25 is not supported/],
    ['use_llm_lora', 8, /use_llm_lora: 8 is not supported/],
    ['force_image_size', 440, /force_image_size: 440 is not a multiple of vision_config.patch_size 14/],
    ['force_image_size', 434, /force_image_size: 434 differs from vision_config.image_size 448/],
    ['max_dynamic_patch', 0, /max_dynamic_patch: must be an integer ≥ 1, got 0/],
    ['use_thumbnail', 'yes', /use_thumbnail: must be true or false/],
    ['vision_config', undefined, /vision_config: missing/],
    ['vision_config.norm_type', 'rms_norm', /vision_config\.norm_type: "rms_norm" is not supported/],
    ['vision_config.qk_normalization', true, /vision_config\.qk_normalization: true is not supported/],
    ['vision_config.hidden_act', 'relu', /vision_config\.hidden_act: "relu" is not supported/],
    ['vision_config.num_attention_heads', 7, /vision_config\.hidden_size: 1024 is not divisible by num_attention_heads 7/],
    ['vision_config.hidden_size', '1024', /vision_config\.hidden_size: must be an integer ≥ 1, got "1024"/],
    ['vision_config.layer_norm_eps', -1, /vision_config\.layer_norm_eps: must be a positive number/],
    ['llm_config.architectures', ['LlamaForCausalLM'], /llm_config\.architectures: \["LlamaForCausalLM"\] is not supported \(supported: \["Qwen2ForCausalLM"\], \["InternLM2ForCausalLM"\], \["Phi3ForCausalLM"\]\)/],
    ['llm_config.hidden_act', 'gelu', /llm_config\.hidden_act: "gelu" is not supported/],
    ['llm_config.num_attention_heads', 5, /llm_config\.hidden_size: 896 is not divisible by num_attention_heads 5/],
    ['llm_config.num_key_value_heads', 4, /llm_config\.num_key_value_heads: num_attention_heads 14 is not a multiple of 4/],
    ['llm_config.head_dim', 128, /llm_config\.head_dim: 128 differs/],
    ['llm_config.use_sliding_window', true, /llm_config\.use_sliding_window: true is not supported/],
    ['llm_config.rope_scaling', { type: 'linear', factor: 2 }, /llm_config\.rope_scaling: .* is not supported/],
    ['llm_config.vocab_size', undefined, /llm_config\.vocab_size: missing/],
  ];
  for (const [path, value, message] of rejects) {
    it(`rejects ${path} = ${JSON.stringify(value)}`, () => {
      expect(() => parseConfig(edited(path, value))).toThrow(message);
    });
  }

  it("checks InternLM2's own fields: bias, rope_scaling", () => {
    const internLM2 = configJsonText(presetConfig('tiny', FAMILY['internvl2-2b']));
    const c = parseConfig(internLM2);
    expect(c.llm_config.architectures).toEqual(['InternLM2ForCausalLM']);
    expect(c.llm_config.rope_scaling).toEqual({ factor: 2, type: 'dynamic' });
    const edit = (key: string, value: unknown) => {
      const o = JSON.parse(internLM2);
      if (value === undefined) delete o.llm_config[key];
      else o.llm_config[key] = value;
      return JSON.stringify(o);
    };
    expect(() => parseConfig(edit('bias', true))).toThrow(/llm_config\.bias: true is not supported \(wqkv\/wo biases/);
    expect(() => parseConfig(edit('bias', undefined))).toThrow(/llm_config\.bias: missing/); // InternLM2Config defaults it to true
    expect(() => parseConfig(edit('rope_scaling', { type: 'linear', factor: 2 }))).toThrow(/llm_config\.rope_scaling\.type: "linear" is not supported/);
    expect(() => parseConfig(edit('rope_scaling', { type: 'dynamic' }))).toThrow(/llm_config\.rope_scaling\.factor: missing/);
    expect(parseConfig(edit('rope_scaling', null)).llm_config.rope_scaling).toBe(null);
  });

  it("checks Phi-3's own fields: LongRoPE factors, sliding window", () => {
    const phi3 = configJsonText(presetConfig('tiny', FAMILY['internvl2-4b']));
    const c = parseConfig(phi3);
    expect(c.llm_config.architectures).toEqual(['Phi3ForCausalLM']);
    const edit = (f: (l: Record<string, any>) => void) => {
      const o = JSON.parse(phi3);
      f(o.llm_config);
      return JSON.stringify(o);
    };
    expect(() => parseConfig(edit((l) => (l.rope_scaling.type = 'yarn')))).toThrow(/llm_config\.rope_scaling\.type: "yarn" is not supported/);
    expect(() => parseConfig(edit((l) => l.rope_scaling.short_factor.pop()))).toThrow(/llm_config\.rope_scaling\.short_factor: must be 48 positive numbers/);
    expect(() => parseConfig(edit((l) => (l.rope_scaling.long_factor[3] = 0)))).toThrow(/long_factor: must be 48 positive/);
    expect(() => parseConfig(edit((l) => (l.sliding_window = 2047)))).toThrow(/llm_config\.sliding_window: 2047 is shorter than max_position_embeddings 131072/);
    expect(() => parseConfig(edit((l) => delete l.original_max_position_embeddings))).toThrow(/original_max_position_embeddings: missing/);
    expect(parseConfig(edit((l) => (l.sliding_window = null))).llm_config.sliding_window).toBe(null);
  });

  it('rejects an odd head_dim', () => {
    // 42 / 14 = 3: divisible, but RoPE rotates pairs.
    expect(() => parseConfig(edited('llm_config.hidden_size', 42))).toThrow(/llm_config\.hidden_size: head_dim 3 .* is odd/);
  });

  it('rejects text that is not a JSON object', () => {
    expect(() => parseConfig('{', 'm/config.json')).toThrow(/m\/config\.json: not valid JSON/);
    expect(() => parseConfig('[]', 'm/config.json')).toThrow(/m\/config\.json: not a JSON object/);
  });
});

describe('parseGenerationConfig', () => {
  it('reads the official 117-byte file', () => {
    expect(GENERATION_CONFIG_JSON.length).toBe(117);
    expect(parseGenerationConfig(GENERATION_CONFIG_JSON)).toEqual({ _from_model_config: true, transformers_version: '4.37.2', eos_token_id: [151644, 151645] });
  });
  it('rejects bad field types', () => {
    expect(() => parseGenerationConfig('{"eos_token_id": "x"}')).toThrow(/generation_config\.json: eos_token_id: must be a token id/);
    expect(() => parseGenerationConfig('{"top_k": 1.5}')).toThrow(/generation_config\.json: top_k: must be an integer/);
    expect(() => parseGenerationConfig('{"temperature": "hot"}')).toThrow(/temperature: must be a number/);
  });
});
