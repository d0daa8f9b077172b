import { layerNormKernel } from '../../kernels/layer_norm.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { layerNorm as layerNormRef } from '../reference/norms.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

/**
 * nn.LayerNorm over the last dimension: y = (x − mean) / sqrt(biased var + eps) · w + b.  x [..., C], w [C], b [C].
 * eps per call: 1e-6 for InternViT norm1/norm2, 1e-5 for the projector mlp1.0.
 */
export function layerNorm(g: Graph, x: Tensor, w: Tensor, b: Tensor, eps: number, name: string): Tensor {
  const cols = x.shape.at(-1) ?? 0;
  check(cols > 0, 'layer_norm', 'x must have a non-empty last dimension', x);
  check(numel(w.shape) === cols && w.shape.at(-1) === cols, 'layer_norm', 'weight must be [C] with C = last dim of x', x, w);
  check(numel(b.shape) === cols && b.shape.at(-1) === cols, 'layer_norm', 'bias must be [C] with C = last dim of x', x, b);
  for (const t of [x, w, b]) checkDtype('layer_norm', t, ['f32']);
  const rows = numel(x.shape) / cols;
  const y = g.tensor(name, x.shape);
  g.add({
    op: 'layer_norm',
    name,
    inputs: [x, w, b],
    outputs: [y],
    dispatches: rows > 0 ? [{ kernel: layerNormKernel, bindings: { x, w, b, y }, params: { rows, cols, eps }, grid: [rows, 1, 1] }] : [],
    cost: { flops: 7 * rows * cols, bytes: 4 * (3 * rows * cols + 2 * cols) },
    reference: (env) => env.set(y.id, layerNormRef(valueOf(env, x), valueOf(env, w), valueOf(env, b), rows, cols, eps)),
  });
  return y;
}
