// The exact tensor list of an InternVL chat checkpoint (SPEC §2.2; the language model's from its layout,
// loader/llm_layouts.ts), derived from config dims only,
// and one check of a checkpoint header against it before anything reaches the GPU.
import type { InternVLChatConfig } from './config.js';
import { layoutOf } from './llm_layouts.js';
import { parseQuantizationConfig, quantFormatOf, savedParts, savedPlan } from './quantization.js';
import type { SafetensorsDType, SafetensorsEntry } from './safetensors.js';

export interface ExpectedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Only this dtype (the parts of a saved quantized weight); otherwise any of WEIGHT_DTYPES. */
  readonly dtype?: SafetensorsDType;
}

/**
 * In PyTorch state_dict order: modules in __init__ order (vision_model, language_model, mlp1), a module's own
 * parameters (ls1, class_embedding, …) before its children's. A saved quantized checkpoint (config.json's
 * quantization_config, loader/quantization.ts) has `.qweight` and `.scales` in place of each quantized matrix.
 */
export function expectedTensors(config: InternVLChatConfig): ExpectedTensor[] {
  const v = config.vision_config;
  const l = config.llm_config;
  const D = v.hidden_size;
  const grid = Math.floor(v.image_size / v.patch_size);
  const out: ExpectedTensor[] = [];
  const add = (name: string, ...shape: number[]) => out.push({ name, shape });

  const e = 'vision_model.embeddings';
  add(`${e}.class_embedding`, 1, 1, D);
  add(`${e}.position_embedding`, 1, grid * grid + 1, D);
  add(`${e}.patch_embedding.weight`, D, v.num_channels, v.patch_size, v.patch_size);
  add(`${e}.patch_embedding.bias`, D);
  for (let i = 0; i < v.num_hidden_layers; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    add(`${p}.ls1`, D);
    add(`${p}.ls2`, D);
    add(`${p}.attn.qkv.weight`, 3 * D, D);
    if (v.qkv_bias) add(`${p}.attn.qkv.bias`, 3 * D);
    add(`${p}.attn.proj.weight`, D, D);
    add(`${p}.attn.proj.bias`, D);
    add(`${p}.mlp.fc1.weight`, v.intermediate_size, D);
    add(`${p}.mlp.fc1.bias`, v.intermediate_size);
    add(`${p}.mlp.fc2.weight`, D, v.intermediate_size);
    add(`${p}.mlp.fc2.bias`, D);
    add(`${p}.norm1.weight`, D);
    add(`${p}.norm1.bias`, D);
    add(`${p}.norm2.weight`, D);
    add(`${p}.norm2.bias`, D);
  }

  out.push(...layoutOf(l).tensors(l));

  // Pixel shuffle folds (1/downsample_ratio)^2 patches into one vector.
  const shuffled = D * Math.round(1 / config.downsample_ratio) ** 2;
  add('mlp1.0.weight', shuffled);
  add('mlp1.0.bias', shuffled);
  const H = l.hidden_size;
  add('mlp1.1.weight', H, shuffled);
  add('mlp1.1.bias', H);
  add('mlp1.3.weight', H, H);
  add('mlp1.3.bias', H);

  const quant = parseQuantizationConfig(config, 'config.json');
  if (!quant) return out;
  const plan = savedPlan(quant);
  return out.flatMap((t) => {
    const format = quantFormatOf(t.name, t.shape, plan);
    return format ? savedParts(t.name, t.shape, format) : [t];
  });
}

/** Weight dtypes the runtime uploads as they are. */
export const WEIGHT_DTYPES: readonly SafetensorsDType[] = ['BF16', 'F16', 'F32'];

/**
 * Compares a checkpoint's tensors with the expected list; throws ONE error listing every missing,
 * unexpected, wrongly shaped or wrongly typed tensor, so a bad checkpoint is diagnosed in one go.
 * Returns how many tensors have each dtype, so a caller can say when a checkpoint is not the usual all-BF16.
 */
export function checkCheckpoint(
  expected: readonly ExpectedTensor[],
  found: ReadonlyMap<string, Pick<SafetensorsEntry, 'name' | 'dtype' | 'shape'>>,
  where = 'checkpoint',
): Map<SafetensorsDType, number> {
  const dtypes = new Map<SafetensorsDType, number>();
  for (const f of found.values()) dtypes.set(f.dtype, (dtypes.get(f.dtype) ?? 0) + 1);
  const problems: string[] = [];
  const expectedNames = new Set(expected.map((t) => t.name));
  for (const t of expected) {
    const f = found.get(t.name);
    if (!f) {
      problems.push(`missing ${t.name} [${t.shape.join(', ')}]`);
      continue;
    }
    if (f.shape.length !== t.shape.length || f.shape.some((d, i) => d !== t.shape[i])) {
      problems.push(`wrong shape ${t.name}: expected [${t.shape.join(', ')}], found [${f.shape.join(', ')}]`);
    }
    if (t.dtype ? f.dtype !== t.dtype : !WEIGHT_DTYPES.includes(f.dtype)) problems.push(`wrong dtype ${t.name}: expected ${t.dtype ?? 'BF16 (or F16/F32)'}, found ${f.dtype}`);
  }
  for (const name of found.keys()) {
    if (!expectedNames.has(name)) problems.push(`unexpected ${name}`);
  }
  if (problems.length > 0) {
    throw new Error(`${where}: ${problems.length} problem(s) against the config's tensor list:\n  ${problems.join('\n  ')}`);
  }
  return dtypes;
}

export function countParameters(tensors: readonly ExpectedTensor[]): number {
  return tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
}
