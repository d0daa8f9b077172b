// Which checkpoint tensors are quantized, and how a saved quantized checkpoint lays them out. The weights (runtime/
// quant.ts): every 2-D `language_model.*.weight` — q/k/v/o_proj, gate/up/down_proj, embed_tokens, lm_head — whose
// K (columns) is a multiple of 32; the vision tower and mlp1 stay bf16 unless asked for (q8 only: OCR-heavy use is
// sensitive to the vision tower), then every 2-D `vision_model.*.weight` and `mlp1.*.weight` — qkv, proj, fc1, fc2,
// the projector's two linears; the patch embedding is a 4-D convolution and stays. A saved checkpoint (`internvl
// quantize`) stores each as `<name>.qweight` (U32 [N, K/8] for q4, [N, K/4] for q8) and `<name>.scales` (F16
// [N, K/32]), and names the formats in config.json's `quantization_config` (`vision_format` when the vision side is
// quantized). Browser-safe.
import { QUANT_GROUP, type QuantFormat } from '../runtime/quant.js';

export const QUANT_METHOD = 'internvl-webgpu';

/** The one format the vision tower and mlp1 may take. */
export type VisionQuantFormat = 'q8';

/** config.json's `quantization_config` of a saved quantized checkpoint. */
export interface QuantizationConfig {
  readonly quant_method: typeof QUANT_METHOD;
  /** The language model's matrices. */
  readonly format: QuantFormat;
  readonly group_size: typeof QUANT_GROUP;
  /** The vision tower's and mlp1's matrices; absent: bf16. */
  readonly vision_format?: VisionQuantFormat;
}

export function quantizationConfig(format: QuantFormat, visionFormat?: VisionQuantFormat): QuantizationConfig {
  return { quant_method: QUANT_METHOD, format, group_size: QUANT_GROUP, ...(visionFormat && { vision_format: visionFormat }) };
}

/** What to quantize: the language model's format and, where asked for, the vision side's. */
export interface QuantPlan {
  readonly llm?: QuantFormat;
  readonly vision?: VisionQuantFormat;
}

/** The plan a saved checkpoint was written with. */
export const savedPlan = (q: QuantizationConfig): QuantPlan => ({ llm: q.format, ...(q.vision_format && { vision: q.vision_format }) });

/** Reads `quantization_config` (undefined when absent); throws on one this runtime did not write. */
export function parseQuantizationConfig(config: Readonly<Record<string, unknown>>, where: string): QuantizationConfig | undefined {
  const q = config.quantization_config;
  if (q === undefined || q === null) return undefined;
  const o = q as Record<string, unknown>;
  const known = new Set(['quant_method', 'format', 'group_size', 'vision_format']);
  if (typeof q !== 'object' || o.quant_method !== QUANT_METHOD || (o.format !== 'q4' && o.format !== 'q8') || o.group_size !== QUANT_GROUP ||
      (o.vision_format !== undefined && o.vision_format !== 'q8') || Object.keys(o).some((k) => !known.has(k))) {
    throw new Error(`${where}: quantization_config ${JSON.stringify(q)} is not supported (only {"quant_method": "${QUANT_METHOD}", "format": "q4" | "q8", "group_size": ${QUANT_GROUP}} and optionally "vision_format": "q8", as \`internvl quantize\` writes)`);
  }
  return q as QuantizationConfig;
}

/** Which side of the model a tensor name belongs to, for quantization. */
function sideOf(name: string): 'llm' | 'vision' | undefined {
  if (name.startsWith('language_model.')) return 'llm';
  if (name.startsWith('vision_model.') || name.startsWith('mlp1.')) return 'vision';
  return undefined;
}

const isMatrix = (name: string, shape: readonly number[]) => name.endsWith('.weight') && shape.length === 2;

/** Whether a checkpoint tensor of this name and shape is quantized (language-model matrices with K % 32 == 0). */
export function isQuantizable(name: string, shape: readonly number[]): boolean {
  return sideOf(name) === 'llm' && isMatrix(name, shape) && shape[1]! % QUANT_GROUP === 0;
}

/** The same for the vision tower and mlp1 (quantized only where asked for). */
function isVisionQuantizable(name: string, shape: readonly number[]): boolean {
  return sideOf(name) === 'vision' && isMatrix(name, shape) && shape[1]! % QUANT_GROUP === 0;
}

/** The format a checkpoint tensor takes under a plan; undefined: it stays as it is. */
export function quantFormatOf(name: string, shape: readonly number[], plan: QuantPlan): QuantFormat | undefined {
  if (plan.llm && isQuantizable(name, shape)) return plan.llm;
  if (plan.vision && isVisionQuantizable(name, shape)) return plan.vision;
  return undefined;
}

/** The format of a saved quantized part `<name>.qweight` by the side its name is on. */
export function savedFormatOf(name: string, plan: QuantPlan): QuantFormat | undefined {
  const side = sideOf(name);
  return side === 'llm' ? plan.llm : side === 'vision' ? plan.vision : undefined;
}

/** Matrices a plan would quantize that stay bf16 because K is not a multiple of 32 (said in the load log). */
export function unquantizable(tensors: Iterable<{ readonly name: string; readonly shape: readonly number[] }>, plan: QuantPlan): string[] {
  const out = [];
  for (const t of tensors) {
    const side = sideOf(t.name);
    if (side && plan[side] && isMatrix(t.name, t.shape) && t.shape[1]! % QUANT_GROUP !== 0) out.push(t.name);
  }
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
