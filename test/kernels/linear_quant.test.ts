// Quantized weights (q4, q8: runtime/quant.ts) in every kernel that reads them: `linear` through the quantized
// decode GEMV (kernels/linear_vec_q{,_shuffle}.wgsl: bias, residual, RMSNorm, row chunks, up to 32 rows of x in
// dispatches of 8; kernels/linear_vec_q_split_k.wgsl where it fits, and the rows kernel forced at the same shape) and
// through the GEMMs that dequantize as they load (linear_shuffle, linear_tiled), `swiglu`'s fused GEMV, and `embedding`. The weights are quantized in TS by the exact rules; the float64 references run on
// the dequantized values (q · f32(scale)), outputs poisoned. On the default device (lavapipe: subgroups of 8, x
// shared), the same with SHARE_X off, and a device without subgroups.
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../runtime/device.js';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph, type GraphLimits, rowChunks } from '../../runtime/graph.js';
import { embedding } from '../../runtime/ops/embedding.js';
import { type LinearVariant, linear } from '../../runtime/ops/linear.js';
import { swiglu } from '../../runtime/ops/swiglu.js';
import { compilePlan } from '../../runtime/plan.js';
import type { QuantFormat } from '../../runtime/quant.js';
import { siluMul as siluMulRef } from '../../runtime/reference/elementwise.js';
import { embedding as embeddingRef } from '../../runtime/reference/data.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import { rmsNorm as rmsNormRef } from '../../runtime/reference/norms.js';
import { type Tensor, numel } from '../../runtime/tensor.js';
import { LLM_FFN, LLM_HIDDEN, LLM_KV } from '../../bench/shapes.js';
import { TestGraph, expectClose, rng } from '../harness.js';
import { forEachSubgroupDevice } from '../subgroup_devices.js';
import { TOL } from '../tolerances.js';

const EPS = 1e-6;
const Q_KERNELS = ['linear_vec_q_shuffle', 'linear_shuffle'];

/** A weight [N, K] ~ N(0, 1/K) quantized by the exact rules, uploaded; its reference value is the dequantized one.
 *  Row 0 is all zeros (scale 0) and row 1 has a group with one large value (most codes round to 0). */
function quantWeight(tg: TestGraph, name: string, format: QuantFormat, N: number, K: number, seed: number): Tensor {
  const values = rng(seed).normal(N * K, 1 / Math.sqrt(K));
  values.fill(0, 0, Math.min(K, values.length));
  if (N > 1) values[K + 3] = 40;
  return tg.quantized(name, format, N, K, values);
}

function limitsFor(gpu: Gpu, bindBytes?: number): GraphLimits {
  const l = gpu.limits;
  return { maxStorageBufferBindingSize: bindBytes ?? l.maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment };
}

const kernels = (g: Graph) => g.nodes.flatMap((n) => n.dispatches.map((d) => d.kernel.name));

async function runGraph(gpu: Gpu, g: Graph, y: Tensor): Promise<Float32Array> {
  const plan = compilePlan(gpu, g, { keep: [y], poison: true, label: 'test' });
  const bytes = await plan.run({ read: [y] });
  plan.destroy();
  return decodeValues('f32', bytes.get(y.name)!, numel(y.shape)) as Float32Array;
}

/** Runs `build`'s graph as built and, on a subgroups device, with every sharing kernel forced onto direct loads. */
async function checkBoth(gpu: Gpu, limits: GraphLimits, build: (g: Graph) => Tensor, expectKernels: (ks: string[]) => void, want: Float64Array, what: string) {
  for (const shareX of gpu.profile.subgroups ? [true, false] : [true]) {
    const g = new Graph(limits, gpu.profile);
    const y = build(g);
    expectKernels(kernels(g));
    if (!shareX) {
      g.nodes.forEach((n, i) => {
        g.nodes[i] = { ...n, dispatches: n.dispatches.map((d) => (Q_KERNELS.includes(d.kernel.name) ? { ...d, constants: { ...d.constants, SHARE_X: false } } : d)) };
      });
    }
    expectClose(`${what}${shareX ? '' : ', SHARE_X off'}`, await runGraph(gpu, g, y), want, TOL.matmul);
  }
}

interface Case {
  readonly format: QuantFormat;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias?: boolean;
  readonly residual?: boolean;
  readonly norm?: boolean;
  /** Force a variant: a vec_* one picks the GEMV's rows per invocation, a gemm_* one the GEMM. */
  readonly variant?: LinearVariant;
  readonly bindBytes?: number;
}

// GEMV: M 1…8 and 9…32 (dispatches of 8, the last ragged), N 1 and primes, K one group (32), 3 groups, 896, 4864;
// every epilogue; both formats; w in row chunks. GEMM: M over 32 (and forced at small M), odd N, both GEMMs.
const CASES: Case[] = [
  { format: 'q4', M: 1, N: 1, K: 32, bias: true, residual: true, norm: true },
  { format: 'q8', M: 1, N: 1, K: 32, bias: true, residual: true, norm: true },
  { format: 'q4', M: 3, N: 13, K: 96, norm: true, variant: 'vec_r8' },
  { format: 'q8', M: 5, N: 67, K: 896, bias: true, residual: true, norm: true },
  { format: 'q4', M: 8, N: 37, K: 4864, residual: true },
  { format: 'q8', M: 7, N: 131, K: 160, bias: true, variant: 'vec_r4' },
  { format: 'q4', M: 13, N: 29, K: 64, bias: true, residual: true, norm: true },
  { format: 'q8', M: 32, N: 19, K: 96, norm: true, residual: true },
  { format: 'q4', M: 1, N: 2113, K: 64, bias: true },
  { format: 'q8', M: 2, N: 149, K: 128, bias: true, norm: true, bindBytes: 70 * 128 }, // 3 chunks
  { format: 'q4', M: 1, N: 1031, K: 96, residual: true, bindBytes: 300 * 48 }, // 4 chunks
  { format: 'q4', M: 1, N: LLM_HIDDEN + 2 * LLM_KV, K: LLM_HIDDEN, bias: true, norm: true }, // decode q/k/v
  { format: 'q8', M: 1, N: LLM_HIDDEN, K: LLM_FFN, residual: true }, // down_proj
  // the split-K kernel (on lavapipe): two rows of x, a q8 residual, K = 1152 in two chunks, N under the lanes;
  // K in chunks (K = 4864 above; 4608 at two rows of x, norm and w in row chunks)
  { format: 'q4', M: 2, N: 67, K: 896, bias: true, residual: true, norm: true },
  { format: 'q8', M: 2, N: 149, K: 4608, bias: true, residual: true, norm: true, bindBytes: 60 * 4608 },
  { format: 'q8', M: 1, N: 131, K: LLM_HIDDEN, residual: true, norm: true },
  { format: 'q8', M: 1, N: 45, K: 1152, bias: true },
  { format: 'q4', M: 1, N: 5, K: 128, bias: true, residual: true },
  { format: 'q4', M: 33, N: 67, K: 96, bias: true, residual: true, norm: true },
  { format: 'q8', M: 70, N: 45, K: 64, bias: true },
  { format: 'q4', M: 97, N: 67, K: 128, bias: true }, // the cpu GEMM's 16 rows per thread (M > 64) with q4
  { format: 'q4', M: 5, N: 131, K: 160, bias: true, variant: 'gemm_tiled' },
  { format: 'q8', M: 9, N: 71, K: 896, variant: 'gemm_shuffle' },
  { format: 'q4', M: 5, N: 149, K: 2048, bias: true, variant: 'gemm_tiled', bindBytes: 60 * 1024 }, // 3 chunks
  { format: 'q8', M: 9, N: 149, K: 1024, variant: 'gemm_shuffle', bindBytes: 60 * 1024 },
  // the gpu profile's coalesced GEMV with QBITS (workgroup-tree and subgroup reductions), M ≤ 8
  { format: 'q4', M: 1, N: 67, K: 896, bias: true, residual: true, norm: true, variant: 'coalesced' },
  { format: 'q8', M: 5, N: 13, K: 96, bias: true, norm: true, variant: 'coalesced' },
  { format: 'q4', M: 8, N: 31, K: 4864, residual: true, variant: 'coalesced' },
  { format: 'q8', M: 2, N: 149, K: 128, bias: true, residual: true, variant: 'coalesced', bindBytes: 70 * 128 }, // 3 chunks
];

const isGemm = (c: Case) => c.M > 32 || (c.variant?.startsWith('gemm') ?? false);

/**
 * Whether the quantized GEMV runs the split-K kernel, by its rule (runtime/ops/linear_quant.ts splitKFits) restated:
 * one subgroup size (lavapipe: 8), K % 64 == 0, at most 2 rows of x.
 */
function splitK(gpu: Gpu, M: number, K: number): boolean {
  const p = gpu.profile;
  const lanes = p.subgroups && p.subgroupMinSize === p.subgroupMaxSize ? p.subgroupMinSize : 0;
  return lanes >= 4 && K % 64 === 0 && M <= 2;
}

forEachSubgroupDevice((label, use) => {
  describe(`quantized weights, ${label}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const c of CASES) {
      const shape = `${c.format} [${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''}${c.residual ? ' + r' : ''}${c.norm ? ', rmsNorm(x)' : ''}${c.bindBytes ? ', w in row chunks' : ''}${c.variant ? ` (${c.variant})` : ''}`;
      it(`linear ${shape}`, async () => {
        const r = rng(c.M * 7919 + c.N * 31 + c.K);
        const tg = new TestGraph(gpu);
        const x = tg.tensor('x', [c.M, c.K], 'f32', r.normal(c.M * c.K, 2));
        const nw = c.norm ? tg.tensor('norm_w', [c.K], 'f32', r.uniform(c.K, -2, 2)) : undefined;
        const w = quantWeight(tg, 'w', c.format, c.N, c.K, c.N + c.K);
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
        const res = c.residual ? tg.tensor('res', [c.M, c.N], 'f32', r.normal(c.M * c.N, 2), 'input') : undefined;
        const xs = nw ? rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, c.M, c.K, EPS) : tg.env.get(x.id)!;
        const want = linearRef(xs, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K, res && tg.env.get(res.id));
        const limits = limitsFor(gpu, c.bindBytes);
        const chunks = rowChunks(limits, w).length;
        if (c.bindBytes) expect(chunks).toBeGreaterThan(1);
        const opts = { ...(c.variant && { variant: c.variant }), ...(res && { residual: res }), ...(nw && { rmsNorm: { weight: nw, eps: EPS } }) };
        await checkBoth(gpu, limits, (g) => linear(g, x, w, b, 'y', opts), (ks) => {
          const shuffleGemm = c.variant === 'gemm_shuffle' || (c.variant !== 'gemm_tiled' && gpu.profile.variants.gemm === 'gemm_shuffle');
          const gemm = shuffleGemm && gpu.profile.subgroups ? 'linear_shuffle' : 'linear_tiled';
          // the coalesced GEMV where forced, or by default up to 8 rows where the profile's GEMV is it (gpu)
          const coalesced = c.variant === 'coalesced' || (!c.variant && c.M <= 8 && gpu.profile.variants.gemv === 'coalesced');
          const rowsGemv = gpu.profile.subgroups ? 'linear_vec_q_shuffle' : 'linear_vec_q';
          const gemv = coalesced ? (gpu.profile.subgroups ? 'linear_coalesced_sg' : 'linear_coalesced') : !c.variant && splitK(gpu, c.M, c.K) ? 'linear_vec_q_split_k' : rowsGemv;
          const ran = ks.filter((k) => !['rms_norm', 'residual', 'linear_splitk_sum'].includes(k));
          expect(ran).toEqual(Array(isGemm(c) || coalesced || gemv.endsWith('split_k') ? chunks : chunks * Math.ceil(c.M / 8)).fill(isGemm(c) ? gemm : gemv));
        }, want, `linear (${label}) ${shape}`);
        if (!c.variant && !isGemm(c) && splitK(gpu, c.M, c.K)) { // the rows kernel at the same shape, forced
          const forced = { ...opts, variant: 'vec_shuffle_r2' as const };
          await checkBoth(gpu, limits, (g) => linear(g, x, w, b, 'y', forced), (ks) => {
            expect(ks.filter((k) => k !== 'rms_norm')).toEqual(Array(chunks).fill('linear_vec_q_shuffle'));
          }, want, `linear (${label}) ${shape}, rows kernel forced`);
        }
      });
    }

    // [format, M, K, F, norm]
    const SWIGLU: [QuantFormat, number, number, number, boolean][] = [
      ['q4', 1, 32, 1, true], ['q8', 3, 96, 33, false], ['q4', 8, 4864, 13, true], ['q8', 12, 64, 131, true],
      ['q4', 1, LLM_HIDDEN, LLM_FFN, true], ['q8', 40, 64, 17, true], ['q8', 1, 96, 131, true], ['q8', 1, 64, 67, false],
      ['q8', 2, LLM_HIDDEN, 37, true], ['q4', 1, 1152, 29, false], ['q4', 2, 3072, 21, true],
    ];
    for (const [format, M, K, F, norm] of SWIGLU) {
      it(`swiglu ${format} x [${M}, ${K}], gate/up [${F}, ${K}]${norm ? ', rmsNorm(x)' : ''}`, async () => {
        const r = rng(M * 7919 + K * 31 + F);
        const tg = new TestGraph(gpu);
        const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 5));
        const nw = norm ? tg.tensor('norm_w', [K], 'f32', r.uniform(K, -2, 2)) : undefined;
        const gate = quantWeight(tg, 'gate', format, F, K, F + 1);
        const up = quantWeight(tg, 'up', format, F, K, F + 2);
        const xs = nw ? rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, M, K, EPS) : tg.env.get(x.id)!;
        const want = siluMulRef(linearRef(xs, tg.env.get(gate.id)!, undefined, M, F, K), linearRef(xs, tg.env.get(up.id)!, undefined, M, F, K));
        await checkBoth(gpu, gpu.limits, (g) => swiglu(g, x, gate, up, 'y', nw ? { rmsNorm: { weight: nw, eps: EPS } } : {}), (ks) => {
          if (M > 32) expect(ks.filter((k) => k !== 'rms_norm')).toEqual(Array(2).fill(gpu.profile.subgroups ? 'linear_shuffle' : 'linear_tiled')); // silu(gate) in up's store
          else if (M <= 8 && gpu.profile.variants.gemv === 'coalesced') expect(ks).toEqual([gpu.profile.subgroups ? 'linear_coalesced_sg' : 'linear_coalesced']);
          else if (splitK(gpu, M, K)) expect(ks).toEqual(['linear_vec_q_split_k']);
          else expect(ks).toEqual(Array(Math.ceil(M / 8)).fill(gpu.profile.subgroups ? 'linear_vec_q_shuffle' : 'linear_vec_q'));
        }, want, `swiglu ${format} (${label}) [${M}, ${K}]·[${F}, ${K}]`);
        if (splitK(gpu, M, K)) { // the rows kernel at the same shape, forced
          await checkBoth(gpu, gpu.limits, (g) => swiglu(g, x, gate, up, 'y', { variant: 'rows_shuffle', ...(nw && { rmsNorm: { weight: nw, eps: EPS } }) }), (ks) => {
            expect(ks).toEqual(['linear_vec_q_shuffle']);
          }, want, `swiglu ${format} (${label}) [${M}, ${K}]·[${F}, ${K}], rows kernel forced`);
        }
        if (M === 1 && gpu.profile.variants.gemv !== 'coalesced') { // the rows kernel, q8 at one row of x: one row of gate and up per invocation
          const g = new Graph(gpu.limits, gpu.profile);
          swiglu(g, x, gate, up, 'y', { variant: 'rows_shuffle', ...(nw && { rmsNorm: { weight: nw, eps: EPS } }) });
          expect(g.nodes.flatMap((n) => n.dispatches.map((d) => d.constants?.R))).toEqual([format === 'q8' ? 1 : 2]);
        }
        if (M <= 8) { // the gpu profile's coalesced GEMV with SWIGLU and QBITS
          await checkBoth(gpu, gpu.limits, (g) => swiglu(g, x, gate, up, 'y', { variant: 'coalesced', ...(nw && { rmsNorm: { weight: nw, eps: EPS } }) }), (ks) => {
            expect(ks).toEqual([gpu.profile.subgroups ? 'linear_coalesced_sg' : 'linear_coalesced']);
          }, want, `swiglu ${format} coalesced (${label}) [${M}, ${K}]·[${F}, ${K}]`);
        }
      });
    }

    it.runIf(label === 'subgroups')('the split-K kernel built for another subgroup size writes NaN, not a wrong sum', async () => {
      const tg = new TestGraph(gpu);
      const x = tg.tensor('x', [1, 896], 'f32', rng(5).normal(896, 1));
      const w = quantWeight(tg, 'w', 'q4', 67, 896, 6);
      const g = new Graph(gpu.limits, gpu.profile);
      const y = linear(g, x, w, undefined, 'y');
      expect(kernels(g)).toEqual(['linear_vec_q_split_k']);
      const d = g.nodes[0]!.dispatches[0]!;
      const lanes = Number(d.constants!.LANES);
      g.nodes[0] = { ...g.nodes[0]!, dispatches: [{ ...d, constants: { ...d.constants, LANES: 2 * lanes, WG: 4 * lanes } }] };
      const out = await runGraph(gpu, g, y);
      expect(out.length).toBe(67);
      expect(out.every((v) => Number.isNaN(v))).toBe(true);
    });

    it.runIf(label === 'subgroups')('embedding of q4 and q8 tables, whole and in row chunks', async () => {
      for (const format of ['q4', 'q8'] as const) {
        for (const bindBytes of [undefined, 33 * 1024]) { // q4: 2 chunks, q8: 3 (y itself must fit the binding too)
          const [V, H, T] = [41, 2048, 4];
          const tg = new TestGraph(gpu);
          const table = quantWeight(tg, 'table', format, V, H, V);
          const ids = Array.from(rng(3).int(T, V));
          ids[0] = V - 1;
          ids[1] = 0; // the all-zero row
          ids[2] = V + 5; // out of range: a zero row
          const idsT = tg.tensor('ids', [T], 'u32', ids, 'input');
          const limits = limitsFor(gpu, bindBytes);
          const g = new Graph(limits, gpu.profile);
          const y = embedding(g, table, idsT, 'y');
          if (bindBytes) expect(g.nodes[0]!.dispatches.length).toBeGreaterThan(1);
          const want = embeddingRef(tg.env.get(table.id)!, Float64Array.from(ids), V, H);
          expectClose(`embedding ${format}${bindBytes ? ' in chunks' : ''}`, await runGraph(gpu, g, y), want, TOL.exact);
        }
      }
    });
  });
});
