// The RMSNorm prologue of the decode GEMVs: `linear(…, { rmsNorm })` and `swiglu(…, { rmsNorm })` =
// the op of rmsNorm(x) (runtime/reference/norms.ts rmsNorm composed with the linear / silu·mul references). The GEMV
// variants fuse it (kernels/linear_vec.wgsl, linear_vec_swiglu.wgsl, linear_coalesced{,_sg}.wgsl with NORM: one
// dispatch, per row chunk for lm_head); every other variant and shape (GEMMs, M > 8, K % 8 ≠ 0, and the 'rows'
// GEMVs where x does not fit their workgroup memory) runs rms_norm first.
// Every linear variant and both gemv variants, on the default test device (subgroups: linear_coalesced_sg) and on
// one without subgroups (linear_coalesced), outputs poisoned.
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../runtime/device.js';
import type { DeviceProfile, VariantOf } from '../../runtime/device_profile.js';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph, rowChunks } from '../../runtime/graph.js';
import { LINEAR_VARIANTS, type LinearVariant, defaultLinearVariant, linear, resolveLinearVariant, vecNormFits } from '../../runtime/ops/linear.js';
import { swiglu } from '../../runtime/ops/swiglu.js';
import { compilePlan } from '../../runtime/plan.js';
import { siluMul as siluMulRef } from '../../runtime/reference/elementwise.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import { rmsNorm as rmsNormRef } from '../../runtime/reference/norms.js';
import { type Tensor, numel } from '../../runtime/tensor.js';
import { createTensor, writeTensor } from '../../runtime/upload.js';
import { LLM_FFN, LLM_HIDDEN, LLM_KV, linearShape } from '../../bench/shapes.js';
import { bf16Table, expectClose, hashedBf16Bits, rng, TestGraph } from '../harness.js';
import { forEachSubgroupDevice } from '../subgroup_devices.js';
import { TOL } from '../tolerances.js';

const EPS = 1e-6; // Qwen2's rms_norm_eps

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
  readonly residual: boolean;
  readonly lead?: readonly number[]; // leading dims of x instead of [M]
  /** x ~ N(0, xStd²): large like the residual stream, or small so that eps matters. */
  readonly xStd?: number;
  readonly eps?: number;
}

// Degenerate (N = 1, K = 8); every M ≤ 8 with N prime; K 8/64/896/4864; N large enough for 2 (1061) and 4 (2113)
// coalesced rows per workgroup with a ragged last one; x large (residual-stream magnitudes) and small with an eps
// that dominates mean(x²); leading dims; M = 9 and K % 8 ≠ 0 (every variant falls back to rms_norm + linear).
const CASES: Case[] = [
  { M: 1, N: 1, K: 8, bias: true, residual: true },
  { M: 2, N: 7, K: 8, bias: false, residual: false },
  { M: 3, N: 13, K: 64, bias: true, residual: false, xStd: 40 },
  { M: 4, N: 31, K: 64, bias: false, residual: true, xStd: 0.01, eps: 1e-3 },
  { M: 5, N: 67, K: 896, bias: true, residual: true },
  { M: 6, N: 5, K: 16, bias: true, residual: true, lead: [2, 3] },
  { M: 7, N: 131, K: 4864, bias: true, residual: false },
  { M: 8, N: 37, K: 896, bias: false, residual: true, xStd: 3 },
  { M: 1, N: 2113, K: 8, bias: true, residual: true },
  { M: 3, N: 1061, K: 64, bias: false, residual: true },
  { M: 9, N: 13, K: 64, bias: true, residual: true },
  { M: 3, N: 17, K: 20, bias: true, residual: true },
  { M: 1, N: LLM_HIDDEN + 2 * LLM_KV, K: LLM_HIDDEN, bias: true, residual: false }, // decode q/k/v in one GEMV
];

// [M, K, F] for swiglu: degenerate, odd F, M = 8 (24 sums per coalesced invocation with the norm), F = 2113 (4 rows
// per workgroup), K = 4864, M = 9 and K % 8 ≠ 0 (rms_norm + two linears, + silu_mul where the GEMM does not apply
// silu(gate) in its store), the real decode gate/up.
const SWIGLU_CASES: [number, number, number][] = [[1, 8, 1], [2, 16, 7], [3, 64, 33], [8, 24, 131], [1, 40, 2113], [7, 4864, 13], [9, 64, 5], [3, 20, 7], [1, LLM_HIDDEN, LLM_FFN]];

const withGemv = (p: DeviceProfile, gemv: VariantOf<'gemv'>): DeviceProfile => ({ ...p, variants: { ...p.variants, gemv } });

async function runGraph(tg: TestGraph, g: Graph, y: Tensor): Promise<Float32Array> {
  const plan = compilePlan(tg.gpu, g, { keep: [y], poison: true, label: 'test' });
  const bytes = await plan.run({ read: [y] });
  plan.destroy();
  return decodeValues('f32', bytes.get(y.name)!, numel(y.shape)) as Float32Array;
}

/** The GEMV kernel a fused graph must run on this device (the test must not pass on the fallback path). */
function gemvKernel(gpu: Gpu, variant: LinearVariant | VariantOf<'gemv'>, swigluOp: boolean): string {
  if (variant === 'coalesced') return gpu.profile.subgroups ? 'linear_coalesced_sg' : 'linear_coalesced';
  return swigluOp ? 'linear_vec_swiglu' : 'linear_vec';
}

/** One node with one dispatch per weight row chunk, all of the fused kernel. */
function expectFused(g: Graph, kernel: string, chunks = 1): void {
  expect(g.nodes.length).toBe(1);
  expect(g.nodes[0]!.dispatches.map((d) => d.kernel.name)).toEqual(Array(chunks).fill(kernel));
  expect(g.nodes[0]!.dispatches.every((d) => d.constants?.NORM === true)).toBe(true);
}


forEachSubgroupDevice((label, use) => {
  describe(`rmsNorm prologue, ${label}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const c of CASES) {
      const shape = `[${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''}${c.residual ? ' + r' : ''}`;
      it(`linear(rmsNorm(x)) ${shape}, every variant`, async () => {
        const r = rng(c.M * 7919 + c.N * 31 + c.K);
        const tg = new TestGraph(gpu);
        const lead = c.lead ?? [c.M];
        const eps = c.eps ?? EPS;
        const x = tg.tensor('x', [...lead, c.K], 'f32', r.normal(c.M * c.K, c.xStd ?? 1));
        const nw = tg.tensor('norm_w', [c.K], 'f32', r.uniform(c.K, -2, 2));
        const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
        const res = c.residual ? tg.tensor('res', [...lead, c.N], 'f32', r.normal(c.M * c.N, 2), 'input') : undefined;
        const xn = rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, c.M, c.K, eps);
        const want = linearRef(xn, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K, res && tg.env.get(res.id));
        // every variant forced (those resolving alike run once), then the profile's choice for both gemv variants
        const resolved = new Map(LINEAR_VARIANTS.map((v) => [resolveLinearVariant(v, c.M, c.K, gpu.profile.subgroups), v] as const));
        const runs: [DeviceProfile, LinearVariant | undefined][] = [
          ...[...resolved.values()].map((v): [DeviceProfile, LinearVariant] => [gpu.profile, v]),
          [withGemv(gpu.profile, 'rows'), undefined],
          [withGemv(gpu.profile, 'coalesced'), undefined],
        ];
        for (const [profile, forced] of runs) {
          const g = new Graph(gpu.limits, profile);
          const variant = resolveLinearVariant(forced ?? defaultLinearVariant(g, c.M, c.K, c.N), c.M, c.K, gpu.profile.subgroups);
          const y = linear(g, x, w, b, 'y', { ...(forced && { variant: forced }), ...(res && { residual: res }), rmsNorm: { weight: nw, eps } });
          expect(y.shape).toEqual([...lead, c.N]);
          const vec = variant.startsWith('vec_');
          if (variant === 'coalesced' || (vec && vecNormFits(g, c.M, c.K, 64))) expectFused(g, gemvKernel(gpu, variant, false));
          // the GEMVs fuse the residual, and so do the GEMMs whose store has the epilogue (gemm_tiled, gemm_shuffle)
          else expect(g.nodes.map((n) => n.op)).toEqual(['rms_norm', 'linear', ...(res && !vec && variant !== 'gemm_tiled' && variant !== 'gemm_shuffle' ? ['residual'] : [])]);
          const what = `linear ${forced ?? `default (gemv=${profile.variants.gemv})`} → ${variant} + rmsNorm M=${c.M} N=${c.N} K=${c.K}`;
          expectClose(what, await runGraph(tg, g, y), want, TOL.matmul);
        }
      });
    }

    for (const [M, K, F] of SWIGLU_CASES) {
      it(`swiglu(rmsNorm(x)) x [${M}, ${K}], gate/up [${F}, ${K}], both gemv variants`, async () => {
        const r = rng(M * 7919 + K * 31 + F);
        const tg = new TestGraph(gpu);
        const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 5));
        const nw = tg.tensor('norm_w', [K], 'f32', r.uniform(K, -2, 2));
        const gate = tg.tensor('gate', [F, K], 'bf16', r.normal(F * K, 1 / Math.sqrt(K)));
        const up = tg.tensor('up', [F, K], 'bf16', r.normal(F * K, 1 / Math.sqrt(K)));
        const xn = rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, M, K, EPS);
        const want = siluMulRef(linearRef(xn, tg.env.get(gate.id)!, undefined, M, F, K), linearRef(xn, tg.env.get(up.id)!, undefined, M, F, K));
        for (const variant of ['rows', 'coalesced'] as const) {
          const g = new Graph(gpu.limits, gpu.profile);
          const y = swiglu(g, x, gate, up, 'y', { variant, rmsNorm: { weight: nw, eps: EPS } });
          const gemm = g.profile.variants.gemm;
          const gatedStore = gemm === 'gemm_tiled' || (gemm === 'gemm_shuffle' && g.profile.subgroups && K % 4 === 0);
          if (M > 8 || K % 8 !== 0) expect(g.nodes.map((n) => n.op)).toEqual(['rms_norm', 'linear', 'linear', ...(gatedStore ? [] : ['silu_mul'])]);
          else if (variant === 'rows' && !vecNormFits(g, M, K, 64)) expect(g.nodes.map((n) => n.op)).toEqual(['rms_norm', 'swiglu']);
          else expectFused(g, gemvKernel(gpu, variant, true));
          expectClose(`swiglu ${variant} + rmsNorm [${M}, ${K}]·[${F}, ${K}]`, await runGraph(tg, g, y), want, TOL.matmul);
        }
      });
    }

    // Workgroup memory on a device with the WebGPU default of 16 KiB (lavapipe has 32): with the norm a coalesced
    // invocation reduces up to 24 sums (M = 8 SwiGLU: 16 dot products + 8 Σx²), 24 KiB at WG 256 (K = 4864), so
    // the op halves WG; the 'rows' GEMVs stage all of x (M·K floats), which at M = 8, K = 896 (28 KiB) does not fit,
    // so they run rms_norm first.
    it('on a 16 KiB-workgroup-memory profile: coalesced WG halved, rows runs rms_norm first, both correct', async () => {
      const profile = { ...gpu.profile, workgroupStorageBytes: 16384 };
      for (const [M, K, F] of [[8, 4864, 11], [8, LLM_HIDDEN, 13]] as const) {
        const r = rng(K + F);
        const tg = new TestGraph(gpu);
        const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K));
        const nw = tg.tensor('norm_w', [K], 'f32', r.uniform(K, -2, 2));
        const gate = tg.tensor('gate', [F, K], 'bf16', r.normal(F * K, 1 / Math.sqrt(K)));
        const up = tg.tensor('up', [F, K], 'bf16', r.normal(F * K, 1 / Math.sqrt(K)));
        const xn = rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, M, K, EPS);
        const want = siluMulRef(linearRef(xn, tg.env.get(gate.id)!, undefined, M, F, K), linearRef(xn, tg.env.get(up.id)!, undefined, M, F, K));
        const wantLinear = linearRef(xn, tg.env.get(gate.id)!, undefined, M, F, K);
        const coalesced = new Graph(gpu.limits, profile);
        const yc = swiglu(coalesced, x, gate, up, 'y', { variant: 'coalesced', rmsNorm: { weight: nw, eps: EPS } });
        expectFused(coalesced, gemvKernel(gpu, 'coalesced', true));
        // K = 896 starts at WG 128 (12 KiB); K = 4864 at 256, halved for the workgroup-memory reduction only (the
        // subgroup kernel keeps WG/4·24 floats)
        const wg = K === LLM_HIDDEN || !gpu.profile.subgroups ? 128 : 256;
        expect(coalesced.nodes[0]!.dispatches[0]!.constants?.WG).toBe(wg);
        expectClose(`swiglu coalesced + rmsNorm [${M}, ${K}], 16 KiB`, await runGraph(tg, coalesced, yc), want, TOL.matmul);
        const rows = new Graph(gpu.limits, profile);
        const yr = swiglu(rows, x, gate, up, 'y', { variant: 'rows', rmsNorm: { weight: nw, eps: EPS } });
        expect(rows.nodes.map((n) => n.op)).toEqual(['rms_norm', 'swiglu']);
        expectClose(`swiglu rows + rmsNorm [${M}, ${K}], 16 KiB`, await runGraph(tg, rows, yr), want, TOL.matmul);
        const vec = new Graph(gpu.limits, profile);
        const yv = linear(vec, x, gate, undefined, 'y', { variant: 'vec_r4', rmsNorm: { weight: nw, eps: EPS } });
        expect(vec.nodes.map((n) => n.op)).toEqual(['rms_norm', 'linear']);
        expectClose(`linear vec_r4 + rmsNorm [${M}, ${K}], 16 KiB`, await runGraph(tg, vec, yv), wantLinear, TOL.matmul);
      }
    });

    // The real lm_head after the final norm: 151655 × 896 bf16 = 272 MB, over lavapipe's 128 MiB binding limit →
    // row chunks, each dispatch normalising x itself. Weights from a cheap integer hash (bf16 bits directly), the
    // float64 reference from a bf16 lookup table.
    it('lm_head(rmsNorm(x)) [1, 896] · [151655, 896]ᵀ bound as row chunks, one fused dispatch per chunk', async () => {
      const { M, N, K } = linearShape('lm_head');
      const tg = new TestGraph(gpu);
      const bits = hashedBf16Bits(N * K);
      const w = createTensor(gpu, 'lm_head', [N, K], 'bf16', 'weight');
      writeTensor(gpu, w, bits);
      const chunks = rowChunks(gpu.limits, w).length;
      expect(chunks).toBeGreaterThan(1);
      const r = rng(5);
      const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 20));
      const nw = tg.tensor('norm_w', [K], 'f32', r.uniform(K, 0.5, 2));
      const xn = rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, M, K, EPS);
      const lut = bf16Table();
      const want = new Float64Array(M * N);
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0, o = n * K; k < K; k++) s += xn[k]! * lut[bits[o + k]!]!;
        want[n] = s;
      }
      for (const variant of ['vec_r8', 'vec_r2', 'coalesced'] as const) {
        const g = new Graph(gpu.limits, gpu.profile);
        const y = linear(g, x, w, undefined, 'logits', { variant, rmsNorm: { weight: nw, eps: EPS } });
        expectFused(g, gemvKernel(gpu, variant, false), chunks);
        expectClose(`lm_head ${variant} + rmsNorm`, await runGraph(tg, g, y), want, TOL.matmul);
      }
      w.storage!.buffer.destroy();
    });

    it('rejects a norm weight that is not f32 [K], naming the op', async () => {
      const tg = new TestGraph(gpu);
      const x = tg.tensor('x', [2, 8], 'f32', new Float64Array(16));
      const w = tg.tensor('w', [3, 8], 'bf16', new Float64Array(24));
      const short = tg.tensor('nw', [4], 'f32', new Float64Array(4));
      const bf = tg.tensor('nb', [8], 'bf16', new Float64Array(8));
      expect(() => linear(tg.g, x, w, undefined, 'y', { rmsNorm: { weight: short, eps: EPS } })).toThrow(/\[linear\] norm weight must be \[K\] with K = 8/);
      expect(() => linear(tg.g, x, w, undefined, 'y', { rmsNorm: { weight: bf, eps: EPS } })).toThrow(/\[linear\] nb must be f32/);
      expect(() => swiglu(tg.g, x, w, w, 'y', { rmsNorm: { weight: short, eps: EPS } })).toThrow(/\[swiglu\] norm weight must be \[K\] with K = 8/);
    });
  });
});
