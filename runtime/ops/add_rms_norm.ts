import { addRmsNormKernel } from '../../kernels/add_rms_norm.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { addRmsNorm as addRmsNormRef } from '../reference/norms.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

/**
 * Residual add fused with the RMSNorm that follows it (one dispatch, two outputs): h = x + f (the residual stream,
 * named `name`) and y = h · rsqrt(mean(h²) + eps) · w (the next sublayer's input, named `normName`).
 * x, f [..., C] f32 of one shape, w [C] f32. Bit-identical to residual() then rmsNorm().
 */
export function addRmsNorm(g: Graph, x: Tensor, f: Tensor, w: Tensor, eps: number, name: string, normName = `${name}.norm`): { h: Tensor; y: Tensor } {
  const op = 'add_rms_norm';
  check(x.shape.length === f.shape.length && x.shape.every((d, i) => d === f.shape[i]), op, 'x and f must have the same shape', x, f);
  const cols = x.shape.at(-1) ?? 0;
  check(w.shape.length === 1 && w.shape[0] === cols, op, 'weight must be [C] with C = last dim of x', x, w);
  for (const t of [x, f, w]) checkDtype(op, t, ['f32']);
  const rows = numel(x.shape) / Math.max(cols, 1);
  const h = g.tensor(name, x.shape);
  const y = g.tensor(normName, x.shape);
  g.add({
    op,
    name,
    inputs: [x, f, w],
    outputs: [h, y],
    dispatches: rows > 0 ? [{ kernel: addRmsNormKernel, bindings: { x, f, w, h, y }, params: { rows, cols, eps }, grid: [rows, 1, 1] }] : [],
    cost: { flops: 5 * rows * cols, bytes: 4 * (4 * rows * cols + cols) },
    reference: (env) => {
      const r = addRmsNormRef(valueOf(env, x), valueOf(env, f), valueOf(env, w), rows, cols, eps);
      env.set(h.id, r.h);
      env.set(y.id, r.y);
    },
  });
  return { h, y };
}
