import { siluMulKernel } from '../../kernels/silu_mul.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { siluMul as siluMulRef } from '../reference/elementwise.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/silu_mul.wgsl default
/** The cost model's FLOPs per silu(g)·u (exp, add, divide, two multiplies). */
export const SILU_MUL_FLOPS = 5;

/** SwiGLU: y = silu(gate) · up, elementwise.  gate, up [T, F] (any equal shapes) f32 → y [T, F]. */
export function siluMul(g: Graph, gate: Tensor, up: Tensor, name: string): Tensor {
  check(gate.shape.length === up.shape.length && gate.shape.every((d, i) => d === up.shape[i]), 'silu_mul', 'gate and up must have the same shape', gate, up);
  checkDtype('silu_mul', gate, ['f32']);
  checkDtype('silu_mul', up, ['f32']);
  const n = numel(gate.shape);
  const y = g.tensor(name, gate.shape);
  g.add({
    op: 'silu_mul',
    name,
    inputs: [gate, up],
    outputs: [y],
    dispatches: n > 0 ? [{ kernel: siluMulKernel, bindings: { gate, up, y }, params: { n }, grid: [Math.ceil(n / WG), 1, 1] }] : [],
    cost: { flops: SILU_MUL_FLOPS * n, bytes: 12 * n },
    reference: (env) => env.set(y.id, siluMulRef(valueOf(env, gate), valueOf(env, up))),
  });
  return y;
}
