import { residualKernel } from '../../kernels/residual.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { residual as residualRef } from '../reference/elementwise.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/residual.wgsl default

/**
 * Residual add: y = x + f, or y = x + ls ⊙ f with a per-channel layer scale (InternViT ls1/ls2).
 * x, f [..., D] (same shape), ls [D] (any shape with D elements, e.g. the checkpoint's [D]) f32 → y like x.
 */
export function residual(g: Graph, x: Tensor, f: Tensor, ls: Tensor | undefined, name: string): Tensor {
  check(x.shape.length === f.shape.length && x.shape.every((d, i) => d === f.shape[i]), 'residual', 'x and f must have the same shape', x, f);
  const cols = x.shape.at(-1) ?? 1;
  if (ls) check(numel(ls.shape) === cols, 'residual', 'ls must have D elements, D = last dim of x', x, ls);
  for (const t of ls ? [x, f, ls] : [x, f]) checkDtype('residual', t, ['f32']);
  const n = numel(x.shape);
  const y = g.tensor(name, x.shape);
  g.add({
    op: 'residual',
    name,
    inputs: ls ? [x, f, ls] : [x, f],
    outputs: [y],
    dispatches:
      n > 0
        ? [{ kernel: residualKernel, constants: { HAS_SCALE: !!ls }, bindings: { x, f, ls: ls ?? x, y }, params: { n, cols }, grid: [Math.ceil(n / WG), 1, 1] }]
        : [],
    cost: { flops: (ls ? 2 : 1) * n, bytes: 12 * n + (ls ? 4 * cols : 0) },
    reference: (env) => env.set(y.id, residualRef(valueOf(env, x), valueOf(env, f), ls ? valueOf(env, ls) : undefined, cols)),
  });
  return y;
}
