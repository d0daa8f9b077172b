import { geluKernel } from '../../kernels/gelu.js';
import { type Graph, checkDtype } from '../graph.js';
import { gelu as geluRef } from '../reference/elementwise.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/gelu.wgsl default
/** The cost model's FLOPs per GELU (erfc's polynomial and two exps). */
export const GELU_FLOPS = 30;

/** Exact (erf) GELU, elementwise: y = x · Φ(x).  x [...] f32 → y of the same shape. */
export function gelu(g: Graph, x: Tensor, name: string): Tensor {
  checkDtype('gelu', x, ['f32']);
  const n = numel(x.shape);
  const y = g.tensor(name, x.shape);
  g.add({
    op: 'gelu',
    name,
    inputs: [x],
    outputs: [y],
    dispatches: n > 0 ? [{ kernel: geluKernel, bindings: { x, y }, params: { n }, grid: [Math.ceil(n / WG), 1, 1] }] : [],
    cost: { flops: GELU_FLOPS * n, bytes: 8 * n },
    reference: (env) => env.set(y.id, geluRef(valueOf(env, x))),
  });
  return y;
}
