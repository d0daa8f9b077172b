import { linearVecSwigluKernel } from '../../kernels/linear_vec_swiglu.js';
import type { VariantOf } from '../device_profile.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { siluMul as siluMulRef } from '../reference/elementwise.js';
import { linear as linearRef } from '../reference/linear.js';
import { type Tensor, byteLength, numel } from '../tensor.js';
import { linear } from './linear.js';
import { coalescedGemv } from './linear_coalesced.js';
import { siluMul } from './silu_mul.js';
import { valueOf } from './values.js';

const WG = 64;
const ROWS = 2;
/** The fused GEMV keeps all rows of x in registers; wider inputs take the GEMM path. */
const MAX_ROWS = 8;

export interface SwigluOptions {
  /** Force the decode GEMV variant (tests, benchmarks); by default the profile's `gemv`. */
  readonly variant?: VariantOf<'gemv'>;
}

/**
 * Qwen2MLP's act_fn(gate_proj(x)) * up_proj(x): x f32 [M, K], gate/up bf16 [F, K] (no bias) → f32 [M, F].
 * Decode (M ≤ 8, K % 8 == 0): one fused GEMV dispatch, by the profile's `gemv` variant (or opts.variant): 'rows'
 * kernels/linear_vec_swiglu.wgsl, 'coalesced' kernels/linear_coalesced{,_sg}.wgsl with SWIGLU (runtime/ops/
 * linear_coalesced.ts). Otherwise (prefill): two linears and silu_mul.
 */
export function swiglu(g: Graph, x: Tensor, gate: Tensor, up: Tensor, name: string, opts: SwigluOptions = {}): Tensor {
  const op = 'swiglu';
  checkDtype(op, x, ['f32']);
  checkDtype(op, gate, ['bf16']);
  checkDtype(op, up, ['bf16']);
  const K = x.shape.at(-1)!;
  check(gate.shape.length === 2 && up.shape.length === 2 && gate.shape[1] === K && up.shape[1] === K && gate.shape[0] === up.shape[0], op, `gate and up must both be [F, K] with K = ${K}`, x, gate, up);
  const M = numel(x.shape) / K;
  const F = gate.shape[0]!;
  const fits = M <= MAX_ROWS && K % 8 === 0 && byteLength(gate) <= g.limits.maxStorageBufferBindingSize;
  if (!fits) return siluMul(g, linear(g, x, gate, undefined, `${name}.gate`), linear(g, x, up, undefined, `${name}.up`), name);
  const y = g.tensor(name, [...x.shape.slice(0, -1), F]);
  g.add({
    op,
    name,
    inputs: [x, gate, up],
    outputs: [y],
    dispatches: [
      (opts.variant ?? g.profile.variants.gemv) === 'coalesced'
        ? coalescedGemv(g, { x, w: gate, up, y, M, rows: F, K, yStride: F, yCol: 0 })
        : { kernel: linearVecSwigluKernel, constants: { WG, R: ROWS, XM: M }, bindings: { x, wg: gate, wu: up, y }, params: { n: F, k: K }, grid: [Math.ceil(F / (WG * ROWS)), 1, 1] },
    ],
    cost: { flops: 4 * M * F * K + 5 * M * F, bytes: 2 * byteLength(gate) + 4 * (M * K + M * F) },
    reference: (env) => {
      const xs = valueOf(env, x);
      env.set(y.id, siluMulRef(linearRef(xs, valueOf(env, gate), undefined, M, F, K), linearRef(xs, valueOf(env, up), undefined, M, F, K)));
    },
  });
  return y;
}
