// Which checkpoint tensors are quantized, and how a saved quantized checkpoint lays them out. The weights (runtime/
// quant.ts): every 2-D `language_model.*.weight` — q/k/v/o_proj, gate/up/down_proj, embed_tokens, lm_head — whose
// K (columns) is a multiple of 32; the vision tower and mlp1 stay bf16. A saved checkpoint (`internvl quantize`)
// stores each as `<name>.qweight` (U32 [N, K/8] for q4, [N, K/4] for q8) and `<name>.scales` (F16 [N, K/32]), and
// names the format in config.json's `quantization_config`. Browser-safe.
import { QUANT_GROUP, type QuantFormat } from '../runtime/quant.js';

export const QUANT_METHOD = 'internvl-webgpu';

/** config.json's `quantization_config` of a saved quantized checkpoint. */
export interface QuantizationConfig {
  readonly quant_method: typeof QUANT_METHOD;
  readonly format: QuantFormat;
  readonly group_size: typeof QUANT_GROUP;
}

export function quantizationConfig(format: QuantFormat): QuantizationConfig {
  return { quant_method: QUANT_METHOD, format, group_size: QUANT_GROUP };
}

/** Reads `quantization_config` (undefined when absent); throws on one this runtime did not write. */
export function parseQuantizationConfig(config: Readonly<Record<string, unknown>>, where: string): QuantizationConfig | undefined {
  const q = config.quantization_config;
  if (q === undefined || q === null) return undefined;
  const o = q as Record<string, unknown>;
  if (typeof q !== 'object' || o.quant_method !== QUANT_METHOD || (o.format !== 'q4' && o.format !== 'q8') || o.group_size !== QUANT_GROUP) {
    throw new Error(`${where}: quantization_config ${JSON.stringify(q)} is not supported (only {"quant_method": "${QUANT_METHOD}", "format": "q4" | "q8", "group_size": ${QUANT_GROUP}}, as \`internvl quantize\` writes)`);
  }
  return q as QuantizationConfig;
}

/** Whether a checkpoint tensor of this name and shape is quantized (language-model matrices with K % 32 == 0). */
export function isQuantizable(name: string, shape: readonly number[]): boolean {
  return name.startsWith('language_model.') && name.endsWith('.weight') && shape.length === 2 && shape[1]! % QUANT_GROUP === 0;
}

/** Language-model matrices that stay bf16 because K is not a multiple of 32 (said in the load log). */
export function unquantizable(tensors: Iterable<{ readonly name: string; readonly shape: readonly number[] }>): string[] {
  const out = [];
  for (const t of tensors) if (t.name.startsWith('language_model.') && t.name.endsWith('.weight') && t.shape.length === 2 && !isQuantizable(t.name, t.shape)) out.push(t.name);
  return out;
}

/** The two tensors a quantized [N, K] weight is saved as. */
export function savedParts(name: string, shape: readonly number[], format: QuantFormat): { name: string; shape: number[]; dtype: 'U32' | 'F16' }[] {
  const [N, K] = shape as [number, number];
  return [
    { name: `${name}.qweight`, shape: [N, format === 'q4' ? K / 8 : K / 4], dtype: 'U32' },
    { name: `${name}.scales`, shape: [N, K / QUANT_GROUP], dtype: 'F16' },
  ];
}
