import { layerNormKernel } from '../../kernels/layer_norm.js';
import { layerNormRowsKernel } from '../../kernels/layer_norm_rows.js';
import type { VariantOf } from '../device_profile.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { layerNorm as layerNormRef } from '../reference/norms.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

/**
 * Variants (the profile's `layer_norm`): 'workgroup', kernels/layer_norm.wgsl, a row per workgroup of 256 reduced in
 * workgroup memory (GPUs); 'subgroup_rows', kernels/layer_norm_rows.wgsl, a row per 8 threads reduced by
 * subgroupAdd with no barriers (CPU rasterisers: 5× faster at the ViT's 1025×1024 on lavapipe), which needs
 * `subgroups` (else 'workgroup' runs).
 */
export type LayerNormVariant = VariantOf<'layer_norm'>;

/**
 * nn.LayerNorm over the last dimension: y = (x − mean) / sqrt(biased var + eps) · w + b.  x [..., C], w [C], b [C].
 * eps per call: 1e-6 for InternViT norm1/norm2, 1e-5 for the projector mlp1.0.
 */
export function layerNorm(g: Graph, x: Tensor, w: Tensor, b: Tensor, eps: number, name: string, variant: LayerNormVariant = g.profile.variants.layer_norm): Tensor {
  const cols = x.shape.at(-1) ?? 0;
  check(cols > 0, 'layer_norm', 'x must have a non-empty last dimension', x);
  check(numel(w.shape) === cols && w.shape.at(-1) === cols, 'layer_norm', 'weight must be [C] with C = last dim of x', x, w);
  check(numel(b.shape) === cols && b.shape.at(-1) === cols, 'layer_norm', 'bias must be [C] with C = last dim of x', x, b);
  for (const t of [x, w, b]) checkDtype('layer_norm', t, ['f32']);
  const rows = numel(x.shape) / cols;
  const subgroupRows = variant === 'subgroup_rows' && g.profile.subgroups;
  const y = g.tensor(name, x.shape);
  g.add({
    op: 'layer_norm',
    name,
    inputs: [x, w, b],
    outputs: [y],
    dispatches: rows > 0 ? [{ kernel: subgroupRows ? layerNormRowsKernel : layerNormKernel, bindings: { x, w, b, y }, params: { rows, cols, eps }, grid: [rows, 1, 1] }] : [],
    cost: { flops: 7 * rows * cols, bytes: 4 * (3 * rows * cols + 2 * cols) },
    reference: (env) => env.set(y.id, layerNormRef(valueOf(env, x), valueOf(env, w), valueOf(env, b), rows, cols, eps)),
  });
  return y;
}
