import { linearKernel } from '../../kernels/linear.js';
import { linearVecKernel } from '../../kernels/linear_vec.js';
import { linearVecShuffleKernel } from '../../kernels/linear_vec_shuffle.js';
import { type Dispatch, type Graph, check, checkDtype, rowChunks } from '../graph.js';
import { gelu as geluRef, residual as residualRef, siluMul as siluMulRef } from '../reference/elementwise.js';
import { linear as linearRef } from '../reference/linear.js';
import { rmsNorm as rmsNormRef } from '../reference/norms.js';
import { type Tensor, byteLength, numel } from '../tensor.js';
import { isQuantized } from '../quant_tensor.js';
import { GELU_FLOPS, gelu } from './gelu.js';
import { coalescedFits, coalescedGemv } from './linear_coalesced.js';
import { QUANT_GEMV_MAX_M, quantGemvDispatches } from './linear_quant.js';
import { shuffleFits, shuffleGemm } from './linear_shuffle.js';
import { linearTiledDispatches } from './linear_tiled.js';
import { residual as addResidual } from './residual.js';
import { rmsNorm } from './rms_norm.js';
import { SILU_MUL_FLOPS, siluMul } from './silu_mul.js';
import { valueOf } from './values.js';

/**
 * Kernel variants. `gemm<TM>x<TN>`: kernels/linear.wgsl, an 8×8 workgroup with TM×TN outputs per thread
 * (register-blocked, measured fastest on lavapipe). `vec_r<R>`: kernels/linear_vec.wgsl, R weight rows per
 * invocation, for M ≤ 8 and K % 8 == 0; outside that it falls back to the GEMM. `gemm_tiled`: for GPUs,
 * kernels/linear_tiled.wgsl, workgroup-memory tiles (32×32 for M ≤ 32, else 64×64) and split-K when there are
 * few tiles (runtime/ops/linear_tiled.ts). `coalesced`: for GPUs, kernels/linear_coalesced{,_sg}.wgsl, a workgroup
 * per few weight rows reading them with coalesced loads, for M ≤ 8 and K % 8 == 0 (runtime/ops/linear_coalesced.ts).
 * `gemm_shuffle`: for CPU rasterisers, kernels/linear_shuffle.wgsl, gemm8x8's tiling with x shared by subgroupShuffle
 * and vec2<u32> weight loads, on devices with subgroups and for K % 4 == 0, else gemm8x8 (runtime/ops/linear_shuffle.ts).
 */
export const LINEAR_VARIANTS = ['gemm8x8', 'gemm4x8', 'vec_r8', 'vec_r4', 'vec_r2', 'gemm_tiled', 'coalesced', 'gemm_shuffle'] as const;
/**
 * `vec_shuffle_r<R>`: the GEMVs of the 'rows_shuffle' gemv (the `cpu` default), kernels/linear_vec_shuffle.wgsl: vec_r<R>
 * with x loaded once per subgroup and shared by subgroupShuffle, the norm prologue in registers; on devices without
 * subgroups vec_r<R> runs. Kept out of LINEAR_VARIANTS, whose sweeps (test/kernels/norm_prologue.test.ts) expect
 * the vec variants to run kernels/linear_vec.wgsl; tested in test/kernels/linear_vec_shuffle.test.ts.
 */
export const VEC_SHUFFLE_VARIANTS = ['vec_shuffle_r8', 'vec_shuffle_r4', 'vec_shuffle_r2'] as const;
export type LinearVariant = (typeof LINEAR_VARIANTS)[number] | (typeof VEC_SHUFFLE_VARIANTS)[number];

/** An RMSNorm (Qwen2RMSNorm) applied to every row of x before a GEMV: x · rsqrt(mean(x²) + eps) · weight. */
export interface RmsNormPrologue {
  /** f32 [K]. */
  readonly weight: Tensor;
  readonly eps: number;
}

export interface LinearOptions {
  /** Force a kernel variant (tests, benchmarks); by default chosen from the adapter and M. */
  readonly variant?: LinearVariant;
  /**
   * The residual stream r, f32 shaped like y: y = x·Wᵀ + b + r (o_proj, down_proj). Fused into the store of the
   * GEMV variants and of gemm_shuffle and gemm_tiled (FUSED_EPILOGUE); the other GEMMs add it in a second dispatch
   * (runtime/ops/residual.ts).
   */
  readonly residual?: Tensor;
  /**
   * A per-column layer scale ls f32 [N] on the residual branch: y = r + ls ⊙ (x·Wᵀ + b) (InternViT's ls1/ls2);
   * needs `residual`. Fused where FUSED_EPILOGUE, else the residual op applies it.
   */
  readonly layerScale?: Tensor;
  /**
   * 'gelu': y = GELU(x·Wᵀ + b) (exact erf GELU; InternViT's fc1, the projector's first linear), before any layer
   * scale and residual. Fused where FUSED_EPILOGUE, else the gelu op follows (runtime/ops/gelu.ts, `${name}.act`).
   */
  readonly activation?: 'gelu';
  /**
   * The pre-activation of a SwiGLU gate, f32 shaped like y: y = silu(gate) ⊙ (x·Wᵀ + b) (Qwen2MLP's
   * act_fn(gate_proj(x)) * up_proj(x), this linear being up_proj; not with `activation`). Fused where
   * FUSED_EPILOGUE, else the silu_mul op follows (runtime/ops/silu_mul.ts).
   */
  readonly siluGate?: Tensor;
  /**
   * y = rmsNorm(x)·Wᵀ + b (+ r) (q/k/v after input_layernorm, lm_head after the final norm). Fused into the GEMV
   * variants as a prologue: 'coalesced' adds Σx² from the x words it loads and reads the norm weight alongside,
   * 'vec_r*' stages x·weight in workgroup memory once per workgroup (where it fits: vecNormFits), 'vec_shuffle_r*'
   * scales the x words each lane loads in registers (always fits); the GEMM variants
   * (and 'vec_r*' where it does not fit) run the rms_norm op first (runtime/ops/rms_norm.ts, `${name}.norm`).
   */
  readonly rmsNorm?: RmsNormPrologue;
}

/** The variants whose store applies activation, layer scale and residual (kernels/include/linear_epilogue.wgsl). */
const FUSED_EPILOGUE: ReadonlySet<string> = new Set(['gemm_shuffle', 'gemm_tiled']);
const GEMM_TILES: Record<string, readonly [number, number]> = { gemm8x8: [8, 8], gemm4x8: [4, 8] };
const VEC_ROWS: Record<string, number> = { vec_r8: 8, vec_r4: 4, vec_r2: 2, vec_shuffle_r8: 8, vec_shuffle_r4: 4, vec_shuffle_r2: 2 };
const VEC_MAX_M = 8;
const VEC_WG = 64;
const GEMM_WG = 8;

/**
 * Whether the rmsNorm prologue of the 'rows' GEMVs (kernels/linear_vec.wgsl, linear_vec_swiglu.wgsl with NORM) fits:
 * a workgroup of `wg` invocations stages all of x·norm_w (M·K floats), wg·M partial sums of Σx² and 8 scales in
 * workgroup memory (decode, K = 896: 3.5 KiB a row, M ≤ 8 on lavapipe's 32 KiB). Where it does not, the op runs the
 * rms_norm op first.
 */
export function vecNormFits(g: Graph, M: number, K: number, wg: number): boolean {
  return 4 * (M * K + wg * M + 8) <= g.profile.workgroupStorageBytes;
}

/**
 * The variant `linear` uses for M rows of length K, from the graph's device profile (gemv for M ≤ 8, else gemm).
 * GEMV 'coalesced': runtime/ops/linear_coalesced.ts.
 * GEMV 'rows': 8 weight rows per invocation for one x row at lm_head-sized N (fewest x loads per weight), 2 for
 * the per-layer projections (N ≤ 4864: more invocations; down_proj [896, 4864]: 2.7 ms at R=8, 1.1–1.6 ms at
 * R=2 on lavapipe), 4 for up to 8 rows (accumulators and unpacked weights stay fewer).
 * GEMV 'rows_shuffle': the same R as 'rows' with x shared by subgroupShuffle (vec_shuffle_r<R>; measured on lavapipe
 * in one process, worker CPU time: lm_head R = 2, 4, 8 within 5 % of each other, down_proj R = 2 < 4 < 1).
 */
export function defaultLinearVariant(g: Graph, M: number, K: number, N = Infinity): LinearVariant {
  if (M <= VEC_MAX_M && K % 8 === 0 && g.profile.variants.gemv === 'coalesced') return 'coalesced';
  if (M <= VEC_MAX_M && K % 8 === 0) {
    const rows = M === 1 ? (N >= 32768 ? 8 : 2) : 4;
    return `vec_${g.profile.variants.gemv === 'rows_shuffle' ? 'shuffle_' : ''}r${rows}` as LinearVariant;
  }
  return g.profile.variants.gemm;
}

/**
 * The variant that actually runs: the GEMV variants need M ≤ 8 and K % 8 == 0, else the GEMM runs; gemm_shuffle
 * needs `subgroups` (the device's feature, g.profile.subgroups) and K % 4 == 0, else gemm8x8 runs; vec_shuffle_r<R>
 * needs `subgroups`, else vec_r<R> runs.
 */
export function resolveLinearVariant(variant: LinearVariant, M: number, K: number, subgroups = false): LinearVariant {
  if (variant === 'gemm_shuffle') return shuffleFits(subgroups, K) ? variant : 'gemm8x8';
  if (variant === 'coalesced') return coalescedFits(M, K) ? variant : 'gemm4x8';
  if (!(variant in VEC_ROWS)) return variant;
  if (M > VEC_MAX_M || K % 8 !== 0) return 'gemm4x8';
  return subgroups ? variant : (variant.replace('shuffle_', '') as LinearVariant);
}

/**
 * The variant for a q4/q8 weight: up to 8 rows of x where the profile's GEMV is 'coalesced' (or forced), the
 * coalesced GEMV with QBITS (runtime/ops/linear_coalesced.ts); else up to QUANT_GEMV_MAX_M rows the quantized rows
 * GEMV (runtime/ops/linear_quant.ts, named vec_shuffle_r<R> for its R rows per invocation; it shares x where the
 * device has subgroups, and unless a variant is forced runs split-K where that fits: splitKFits), with every
 * fusion; beyond that (or forced) a GEMM that dequantizes as it loads: gemm_shuffle where the profile's GEMM is it
 * and the device has subgroups, else gemm_tiled.
 */
function quantizedVariant(g: Graph, forced: LinearVariant | undefined, M: number, K: number): LinearVariant {
  const coalesced = forced ? forced === 'coalesced' : g.profile.variants.gemv === 'coalesced';
  if (coalesced && coalescedFits(M, K)) return 'coalesced';
  const gemmForced = forced !== undefined && !(forced in VEC_ROWS) && forced !== 'coalesced';
  // 2 rows per invocation at M = 1 even for lm_head (lavapipe: q4 lm_head 24 ms at R = 2, 30 at 4, 37 at 8)
  if (M <= QUANT_GEMV_MAX_M && !gemmForced) return `vec_shuffle_r${forced ? VEC_ROWS[forced] ?? 2 : M === 1 ? 2 : 4}` as LinearVariant;
  const gemm = forced === 'gemm_tiled' || forced === 'gemm_shuffle' ? forced : g.profile.variants.gemm;
  return gemm === 'gemm_shuffle' && g.profile.subgroups ? 'gemm_shuffle' : 'gemm_tiled';
}

/**
 * nn.Linear and what follows it: y = r + ls ⊙ act(x·Wᵀ + b) (act: GELU, or silu(gate) ⊙ ·), of rmsNorm(x) with opts.rmsNorm (each part optional:
 * LinearOptions).  x f32 [..., K], w bf16, q4 or q8 [N, K] (checkpoint [out, in] layout; q4/q8: runtime/quant.ts,
 * variant by quantizedVariant), b f32 [N] or undefined, residual f32 [..., N], layer scale f32 [N], norm weight f32 [K];
 * y f32 [..., N]. A weight over maxStorageBufferBindingSize (lm_head) is bound as row chunks, one dispatch each,
 * every chunk writing its column range of y (and, with the norm, normalising the few rows of x itself).
 */
export function linear(g: Graph, x: Tensor, w: Tensor, b: Tensor | undefined, name: string, opts: LinearOptions = {}): Tensor {
  const op = 'linear';
  checkDtype(op, x, ['f32']);
  checkDtype(op, w, ['bf16', 'q4', 'q8']);
  check(w.dtype === 'bf16' || isQuantized(w), op, 'a q4/q8 weight needs its scales', w);
  check(x.shape.length >= 1 && w.shape.length === 2, op, 'x must be [..., K] and w [N, K]', x, w);
  const K = x.shape.at(-1)!;
  const [N, Kw] = [w.shape[0]!, w.shape[1]!];
  check(Kw === K, op, `w must be [N, K] with K = last dim of x (${K})`, x, w);
  check(K >= 1 && N >= 1, op, 'K and N must be at least 1', x, w);
  if (b) {
    checkDtype(op, b, ['f32']);
    check(b.shape.length === 1 && b.shape[0] === N, op, `bias must be [N] with N = ${N}`, w, b);
  }
  const M = numel(x.shape) / K;
  check(M >= 1, op, 'x has no rows', x);
  const r = opts.residual;
  if (r) {
    checkDtype(op, r, ['f32']);
    const shape = [...x.shape.slice(0, -1), N];
    check(r.shape.length === shape.length && r.shape.every((d, i) => d === shape[i]), op, `residual must be [${shape.join(', ')}] like y`, x, w, r);
  }
  const ls = opts.layerScale;
  if (ls) {
    check(!!r, op, 'a layer scale needs the residual it scales the branch into', x, w, ls);
    checkDtype(op, ls, ['f32']);
    check(numel(ls.shape) === N, op, `layer scale must have N = ${N} elements`, w, ls);
  }
  const act = opts.activation;
  check(act === undefined || act === 'gelu', op, `activation must be 'gelu', got ${String(act)}`, x, w);
  const gate = opts.siluGate;
  if (gate) {
    check(!act, op, 'a SiLU gate and an activation do not combine', x, w, gate);
    checkDtype(op, gate, ['f32']);
    const shape = [...x.shape.slice(0, -1), N];
    check(gate.shape.length === shape.length && gate.shape.every((d, i) => d === shape[i]), op, `SiLU gate must be [${shape.join(', ')}] like y`, x, w, gate);
  }
  const norm = opts.rmsNorm;
  if (norm) {
    checkDtype(op, norm.weight, ['f32']);
    check(norm.weight.shape.length === 1 && norm.weight.shape[0] === K, op, `norm weight must be [K] with K = ${K}`, x, norm.weight);
  }

  const quantized = w.dtype !== 'bf16';
  const variant = quantized ? quantizedVariant(g, opts.variant, M, K) : resolveLinearVariant(opts.variant ?? defaultLinearVariant(g, M, K, N), M, K, g.profile.subgroups);
  const gemv = variant === 'coalesced' || variant in VEC_ROWS;
  const shuffled = variant.startsWith('vec_shuffle');
  const fusesNorm = variant === 'coalesced' || shuffled || (variant in VEC_ROWS && vecNormFits(g, M, K, VEC_WG));
  if (norm && !fusesNorm) return linear(g, rmsNorm(g, x, norm.weight, norm.eps, `${name}.norm`), w, b, name, { ...opts, variant, rmsNorm: undefined });
  // Without the GEMM epilogue, what follows the product runs as ops of its own (the GEMVs fuse a plain residual).
  if (!FUSED_EPILOGUE.has(variant) && (act || gate || ls || (r && !gemv))) {
    let h = linear(g, x, w, b, `${name}.xw`, { variant, ...(norm && { rmsNorm: norm }) });
    if (act || gate) h = gate ? siluMul(g, gate, h, r ? `${name}.act` : name) : gelu(g, h, r ? `${name}.act` : name);
    return r ? addResidual(g, r, h, ls, name) : h;
  }
  const epilogue = { residual: r, layerScale: ls, gelu: act === 'gelu', siluGate: gate };
  const y = g.tensor(name, [...x.shape.slice(0, -1), N]);
  const chunks = rowChunks(g.limits, w);
  const bias = b ?? x; // a dummy when absent: the slot stays bound, HAS_BIAS guards the read
  const dispatches: Dispatch[] = variant === 'gemm_tiled' ? linearTiledDispatches(g, { x, w, b, y, M, K, chunks, name, ...epilogue }) : quantized && variant in VEC_ROWS
    ? quantGemvDispatches(g, { x, w, b, residual: r, norm, y, M, K, rows: VEC_ROWS[variant]!, ...(opts.variant && { splitK: false }) })
    : chunks.map((c) => {
    const wb = chunks.length === 1 ? w : { tensor: w, byteOffset: c.byteOffset, byteSize: c.byteSize };
    const params = { m: M, n: c.rows, k: K, y_stride: N, y_col: c.rowStart, b_off: c.rowStart };
    if (variant === 'gemm_shuffle') return shuffleGemm(g, { x, w: wb, scales: w.scales, b, y, M, rows: c.rows, K, yStride: N, yCol: c.rowStart, ...epilogue });
    if (variant === 'coalesced') return coalescedGemv(g, { x, w: wb, ...(w.scales && { scales: w.scales }), b, residual: r, norm, y, M, rows: c.rows, K, yStride: N, yCol: c.rowStart });
    const bindings = { x, w: wb, b: bias, y };
    const rows = VEC_ROWS[variant];
    if (rows !== undefined) {
      const groups = Math.ceil(c.rows / (VEC_WG * rows));
      const constants = { WG: VEC_WG, R: rows, XM: M, HAS_BIAS: !!b, HAS_RESIDUAL: !!r, NORM: !!norm, ...(shuffled ? {} : { KW: norm ? K / 8 : 1 }) };
      // unused slots stay bound to a dummy (x); the override booleans guard every read
      const vecBindings = { ...bindings, res: r ?? x, norm_w: norm?.weight ?? x };
      return { kernel: shuffled ? linearVecShuffleKernel : linearVecKernel, constants, bindings: vecBindings, params: { ...params, eps: norm?.eps ?? 0 }, grid: [groups, 1, 1] };
    }
    const [tm, tn] = GEMM_TILES[variant]!;
    const grid = [Math.ceil(c.rows / (GEMM_WG * tn)), Math.ceil(M / (GEMM_WG * tm)), 1] as const;
    check(grid[0] <= g.limits.maxComputeWorkgroupsPerDimension && grid[1] <= g.limits.maxComputeWorkgroupsPerDimension, op, `grid [${grid.join(', ')}] is over the workgroup limit`, x, w);
    const constants = { WG_X: GEMM_WG, WG_Y: GEMM_WG, TM: tm, TN: tn, PAIRED: K % 2 === 0, HAS_BIAS: !!b };
    return { kernel: linearKernel, constants, bindings, params, grid };
  });

  g.add({
    op,
    name,
    inputs: [x, w, ...(w.scales ? [w.scales] : []), ...(b ? [b] : []), ...(r ? [r] : []), ...(ls ? [ls] : []), ...(gate ? [gate] : []), ...(norm ? [norm.weight] : [])],
    outputs: [y],
    dispatches,
    cost: {
      flops: 2 * M * N * K + (r ? M * N : 0) + (ls ? M * N : 0) + (act ? GELU_FLOPS * M * N : 0) + (gate ? SILU_MUL_FLOPS * M * N : 0) + (norm ? 4 * M * K : 0),
      bytes: byteLength(w) + (w.scales ? byteLength(w.scales) : 0) + 4 * (M * K + M * N + (b ? N : 0) + (r ? M * N : 0) + (ls ? N : 0) + (gate ? M * N : 0) + (norm ? K : 0)),
    },
    reference: (env) => {
      const xs = norm ? rmsNormRef(valueOf(env, x), valueOf(env, norm.weight), M, K, norm.eps) : valueOf(env, x);
      let v = linearRef(xs, valueOf(env, w), b && valueOf(env, b), M, N, K);
      if (act) v = geluRef(v);
      if (gate) v = siluMulRef(valueOf(env, gate), v);
      env.set(y.id, r ? residualRef(valueOf(env, r), v, ls && valueOf(env, ls), N) : v);
    },
  });
  return y;
}
