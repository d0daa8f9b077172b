import { rmsNormKernel } from '../../kernels/rms_norm.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { rmsNorm as rmsNormRef } from '../reference/norms.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

/** Qwen2RMSNorm over the last dimension: y = x · rsqrt(mean(x²) + eps) · w.  x [..., C], w [C]. */
export function rmsNorm(g: Graph, x: Tensor, w: Tensor, eps: number, name: string): Tensor {
  const cols = x.shape.at(-1) ?? 0;
  check(w.shape.length === 1 && w.shape[0] === cols, 'rms_norm', 'weight must be [C] with C = last dim of x', x, w);
  checkDtype('rms_norm', x, ['f32']);
  checkDtype('rms_norm', w, ['f32']);
  const rows = numel(x.shape) / Math.max(cols, 1);
  const y = g.tensor(name, x.shape);
  g.add({
    op: 'rms_norm',
    name,
    inputs: [x, w],
    outputs: [y],
    dispatches: [{ kernel: rmsNormKernel, bindings: { x, w, y }, params: { rows, cols, eps }, grid: [rows, 1, 1] }],
    cost: { flops: 4 * rows * cols, bytes: 4 * (2 * rows * cols + cols) },
    reference: (env) => env.set(y.id, rmsNormRef(valueOf(env, x), valueOf(env, w), rows, cols, eps)),
  });
  return y;
}
