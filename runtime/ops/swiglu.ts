import { linearVecSwigluKernel } from '../../kernels/linear_vec_swiglu.js';
import { linearVecSwigluShuffleKernel } from '../../kernels/linear_vec_swiglu_shuffle.js';
import type { VariantOf } from '../device_profile.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { siluMul as siluMulRef } from '../reference/elementwise.js';
import { linear as linearRef } from '../reference/linear.js';
import { rmsNorm as rmsNormRef } from '../reference/norms.js';
import { type Tensor, byteLength, numel } from '../tensor.js';
import { type RmsNormPrologue, linear, vecNormFits } from './linear.js';
import { isQuantized } from '../quant_tensor.js';
import { coalescedGemv } from './linear_coalesced.js';
import { QUANT_GEMV_MAX_M, quantGemvDispatches } from './linear_quant.js';
import { rmsNorm } from './rms_norm.js';
import { valueOf } from './values.js';

const WG = 64;
const ROWS = 2;
/** The fused GEMV keeps all rows of x in registers; wider inputs take the GEMM path. */
const MAX_ROWS = 8;

/**
 * Rows of gate (and of up) per invocation in the quantized SwiGLU GEMV: one for q8 at one row of x, else ROWS.
 * lavapipe, gate_proj's shape with the RMSNorm prologue, interleaved in one process: q8 1.75 ms at 1 row vs 2.25 at 2;
 * q4 1.28 vs 1.30, no difference (bench/RESULTS.md, "Quantized decode GEMVs on lavapipe, once more").
 */
function quantRows(gate: Tensor, M: number): number {
  return gate.dtype === 'q8' && M === 1 ? 1 : ROWS;
}

export interface SwigluOptions {
  /** Force the decode GEMV variant (tests, benchmarks); by default the profile's `gemv`. */
  readonly variant?: VariantOf<'gemv'>;
  /**
   * y = swiglu(rmsNorm(x)) (post_attention_layernorm): fused into the decode GEMV as a prologue (for 'rows' where x
   * fits its workgroup memory: vecNormFits in runtime/ops/linear.ts; always for 'rows_shuffle' and 'coalesced');
   * otherwise the rms_norm op runs first (`${name}.norm`).
   */
  readonly rmsNorm?: RmsNormPrologue;
}

/**
 * Qwen2MLP's act_fn(gate_proj(x)) * up_proj(x), of rmsNorm(x) with opts.rmsNorm: x f32 [M, K], gate/up bf16, q4 or
 * q8 [F, K] (no bias), norm weight f32 [K] → f32 [M, F]. q4/q8 up to 32 rows: the coalesced GEMV with QBITS for
 * the 'coalesced' gemv up to 8 rows, else the quantized rows GEMV with SWIGLU (runtime/ops/linear_quant.ts; split-K
 * where it fits unless opts.variant is given).
 * Decode (M ≤ 8, K % 8 == 0): one fused GEMV dispatch, by the profile's `gemv` variant (or opts.variant): 'rows'
 * kernels/linear_vec_swiglu.wgsl, 'rows_shuffle' kernels/linear_vec_swiglu_shuffle.wgsl (x shared by subgroupShuffle;
 * 'rows' on devices without subgroups), 'coalesced' kernels/linear_coalesced{,_sg}.wgsl with SWIGLU (runtime/ops/
 * linear_coalesced.ts). Otherwise (prefill): the gate's linear, then the up linear with silu(gate) in its store.
 */
export function swiglu(g: Graph, x: Tensor, gate: Tensor, up: Tensor, name: string, opts: SwigluOptions = {}): Tensor {
  const op = 'swiglu';
  checkDtype(op, x, ['f32']);
  checkDtype(op, gate, ['bf16', 'q4', 'q8']);
  check(up.dtype === gate.dtype && (gate.dtype === 'bf16' || (isQuantized(gate) && isQuantized(up))), op, 'gate and up must have one dtype (q4/q8 with their scales)', gate, up);
  const K = x.shape.at(-1)!;
  check(gate.shape.length === 2 && up.shape.length === 2 && gate.shape[1] === K && up.shape[1] === K && gate.shape[0] === up.shape[0], op, `gate and up must both be [F, K] with K = ${K}`, x, gate, up);
  const M = numel(x.shape) / K;
  const F = gate.shape[0]!;
  const norm = opts.rmsNorm;
  if (norm) {
    checkDtype(op, norm.weight, ['f32']);
    check(norm.weight.shape.length === 1 && norm.weight.shape[0] === K, op, `norm weight must be [K] with K = ${K}`, x, norm.weight);
  }
  const quantized = gate.dtype !== 'bf16';
  const fits = M <= (quantized ? QUANT_GEMV_MAX_M : MAX_ROWS) && K % 8 === 0 && byteLength(gate) <= g.limits.maxStorageBufferBindingSize;
  if (!fits) {
    const xn = norm ? rmsNorm(g, x, norm.weight, norm.eps, `${name}.norm`) : x;
    // prefill: the up projection's store applies silu(gate) (the silu_mul op where its GEMM does not fuse it)
    return linear(g, xn, up, undefined, name, { siluGate: linear(g, xn, gate, undefined, `${name}.gate`) });
  }
  const requested = opts.variant ?? g.profile.variants.gemv;
  // rows_shuffle needs the `subgroups` feature; without it the plain 'rows' kernel runs
  const variant = requested === 'rows_shuffle' && !g.profile.subgroups ? 'rows' : requested;
  if (norm && variant === 'rows' && !quantized && !vecNormFits(g, M, K, WG)) return swiglu(g, rmsNorm(g, x, norm.weight, norm.eps, `${name}.norm`), gate, up, name, { variant });
  const y = g.tensor(name, [...x.shape.slice(0, -1), F]);
  g.add({
    op,
    name,
    inputs: [x, gate, up, ...(gate.scales ? [gate.scales, up.scales!] : []), ...(norm ? [norm.weight] : [])],
    outputs: [y],
    dispatches: quantized && !(variant === 'coalesced' && M <= MAX_ROWS) ? quantGemvDispatches(g, { x, w: gate, up, norm, y, M, K, rows: quantRows(gate, M), ...(opts.variant && { splitK: false }) }) : [
      variant === 'coalesced'
        ? coalescedGemv(g, { x, w: gate, up, ...(gate.scales && { scales: gate.scales, upScales: up.scales! }), norm, y, M, rows: F, K, yStride: F, yCol: 0 })
        : {
            kernel: variant === 'rows_shuffle' ? linearVecSwigluShuffleKernel : linearVecSwigluKernel,
            constants: { WG, R: ROWS, XM: M, NORM: !!norm, ...(variant === 'rows_shuffle' ? {} : { KW: norm ? K / 8 : 1 }) },
            // without the norm its slot is bound to a dummy (x); NORM guards the read
            bindings: { x, wg: gate, wu: up, norm_w: norm?.weight ?? x, y },
            params: { n: F, k: K, eps: norm?.eps ?? 0 },
            grid: [Math.ceil(F / (WG * ROWS)), 1, 1],
          },
    ],
    cost: { flops: 4 * M * F * K + 5 * M * F + (norm ? 4 * M * K : 0), bytes: 2 * (byteLength(gate) + (gate.scales ? byteLength(gate.scales) : 0)) + 4 * (M * K + M * F + (norm ? K : 0)) },
    reference: (env) => {
      const xs = norm ? rmsNormRef(valueOf(env, x), valueOf(env, norm.weight), M, K, norm.eps) : valueOf(env, x);
      env.set(y.id, siluMulRef(linearRef(xs, valueOf(env, gate), undefined, M, F, K), linearRef(xs, valueOf(env, up), undefined, M, F, K)));
    },
  });
  return y;
}
