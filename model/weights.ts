// The weight tree: the checkpoint's flat names unflattened, so model code reads
// `w.vision_model.encoder.layers[i].attn.qkv.weight` exactly like the PyTorch module path.
// Vectors (norm weights, biases, layer scales, class/position embeddings) are widened to f32 once at load;
// matrices stay bf16 in the checkpoint's [out, in] layout.
import type { Gpu } from '../runtime/device.js';
import { Graph } from '../runtime/graph.js';
import { bf16ToF32 } from '../runtime/ops/cast_copy.js';
import { compilePlan } from '../runtime/plan.js';
import type { QuantFormat } from '../runtime/quant.js';
import { withScales } from '../runtime/quant_tensor.js';
import { type Tensor, formatShape } from '../runtime/tensor.js';
import { createTensor } from '../runtime/upload.js';

export interface Linear {
  readonly weight: Tensor;
  readonly bias?: Tensor;
}
export interface Norm {
  readonly weight: Tensor;
  readonly bias?: Tensor;
}

/** InternVisionEncoderLayer (modeling_intern_vit.py). */
export interface VitLayer {
  readonly attn: { readonly qkv: Linear; readonly proj: Linear };
  readonly mlp: { readonly fc1: Linear; readonly fc2: Linear };
  readonly norm1: Norm;
  readonly norm2: Norm;
  readonly ls1: Tensor;
  readonly ls2: Tensor;
}

export interface VisionWeights {
  readonly embeddings: { readonly class_embedding: Tensor; readonly position_embedding: Tensor; readonly patch_embedding: Linear };
  readonly encoder: { readonly layers: readonly VitLayer[] };
}

/** mlp1 = Sequential(LayerNorm, Linear, GELU, Linear): indices 0, 1, 3. */
export interface Mlp1 {
  readonly '0': Norm;
  readonly '1': Linear;
  readonly '3': Linear;
}

export interface InternVLWeights {
  readonly vision_model: VisionWeights;
  readonly mlp1: Mlp1;
  /** The language model's subtree, typed by its architecture (model/language_models.ts). */
  readonly language_model: Readonly<Record<string, unknown>>;
}

type Tree = { [key: string]: Tree | Tensor };

/** "a.b.0.c" keys → nested objects; objects whose keys are exactly 0..n-1 become arrays (layers). */
export function unflatten(tensors: ReadonlyMap<string, Tensor>): Record<string, unknown> {
  const root: Tree = {};
  for (const [name, t] of tensors) {
    const parts = name.split('.');
    let node = root;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (next && 'dtype' in next) throw new Error(`[weights] ${name}: "${p}" is both a tensor and a module`);
      node = (next as Tree | undefined) ?? (node[p] = {});
    }
    node[parts.at(-1)!] = t;
  }
  const toArrays = (n: Tree | Tensor): unknown => {
    if ('dtype' in n && 'shape' in n) return n;
    const keys = Object.keys(n);
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = toArrays((n as Tree)[k]!);
    const isList = keys.length > 0 && keys.every((k, i) => k === String(i)) && keys.length === new Set(keys).size;
    return isList ? keys.map((k) => out[k]) : out;
  };
  return toArrays(root) as Record<string, unknown>;
}

/** Names of tensors the kernels read as f32 vectors (everything that is not a matrix multiplied in a linear). */
export function isF32Vector(name: string, t: Tensor): boolean {
  return t.shape.length === 1 || name.endsWith('.class_embedding') || name.endsWith('.position_embedding');
}

/**
 * A saved quantized checkpoint's `<name>.qweight` (u32 codes) and `<name>.scales` (f16) joined into the q4/q8 weight
 * `<name>` [N, K] the kernels read (loader/quantization.ts); `formatOf` names each part's format (undefined: the
 * checkpoint says none).
 */
function joinQuantizedParts(tensors: ReadonlyMap<string, Tensor>, formatOf: (name: string) => QuantFormat | undefined): Map<string, Tensor> {
  const out = new Map(tensors);
  for (const [name, codes] of tensors) {
    if (!name.endsWith('.qweight')) continue;
    const base = name.slice(0, -'.qweight'.length);
    const scales = tensors.get(`${base}.scales`);
    const format = formatOf(base);
    if (!format || !scales || codes.dtype !== 'u32' || scales.dtype !== 'f16') throw new Error(`[weights] ${name}: a quantized weight needs quantization_config in config.json, U32 codes and F16 ${base}.scales`);
    const [N, words] = codes.shape as [number, number];
    out.delete(name);
    out.delete(`${base}.scales`);
    out.set(base, withScales({ ...codes, name: base, shape: [N, words * (format === 'q4' ? 8 : 4)], dtype: format }, scales));
  }
  return out;
}

/**
 * Widen bf16 vectors to f32 on the GPU (one plan, one submit) and return the tensor map the model uses.
 * The bf16 originals are destroyed. f16 vectors and f32 matrices are rejected with the tensor's name. Matrices are
 * bf16, or q4/q8 (quantized at upload, or joined from a saved checkpoint's parts, each in the format
 * `savedFormatOf` gives its name).
 */
export async function prepareWeights(gpu: Gpu, uploaded: ReadonlyMap<string, Tensor>, savedFormatOf: (name: string) => QuantFormat | undefined = () => undefined): Promise<Map<string, Tensor>> {
  const tensors = joinQuantizedParts(uploaded, savedFormatOf);
  const out = new Map(tensors);
  const g = new Graph(gpu.limits, gpu.profile);
  const converted: Tensor[] = [];
  for (const [name, t] of tensors) {
    if (t.dtype === 'q4' || t.dtype === 'q8') continue;
    if (isF32Vector(name, t)) {
      if (t.dtype === 'f32') continue;
      if (t.dtype !== 'bf16') throw new Error(`[weights] ${name} ${formatShape(t.shape)}: ${t.dtype} vectors are not supported (BF16 or F32)`);
      const f32 = createTensor(gpu, name, t.shape, 'f32', 'weight');
      bf16ToF32(g, t, `${name}.f32`, f32);
      out.set(name, f32);
      converted.push(t);
    } else if (t.dtype !== 'bf16') {
      throw new Error(`[weights] ${name} ${formatShape(t.shape)} is ${t.dtype}; matrices must be BF16 (the official checkpoint's dtype) or quantized`);
    }
  }
  if (g.nodes.length) {
    const plan = compilePlan(gpu, g, { label: 'prepare-weights' });
    await plan.run();
    plan.destroy();
  }
  for (const t of converted) t.storage?.buffer.destroy();
  return out;
}

/** The typed tree; throws naming the first module path that is missing. */
export function weightTree(tensors: ReadonlyMap<string, Tensor>): InternVLWeights {
  const tree = unflatten(tensors) as unknown as InternVLWeights;
  for (const path of ['vision_model.embeddings', 'vision_model.encoder.layers', 'mlp1', 'language_model.model.layers']) {
    let node: unknown = tree;
    for (const p of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[p];
    if (node === undefined) throw new Error(`[weights] the checkpoint has no ${path}`);
  }
  return tree;
}
