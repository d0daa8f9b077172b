// The decode GEMVs with x shared through subgroups: `linear` with the vec_shuffle_r<R> variants
// (kernels/linear_vec_shuffle.wgsl) and `swiglu` with the 'rows_shuffle' gemv (kernels/linear_vec_swiglu_shuffle.wgsl),
// every epilogue and prologue (bias, residual, RMSNorm, SwiGLU), against the float64 references with outputs
// poisoned: on the default test device (lavapipe: subgroups of 8, x loaded once per subgroup), on the same device
// with SHARE_X = false (the direct-load path of a subgroup with missing lanes), and on a device without subgroups
// (the op must run the plain kernels/linear_vec.wgsl, linear_vec_swiglu.wgsl, or rms_norm first where their
// workgroup memory cannot stage x).
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../runtime/device.js';
import type { DeviceProfile } from '../../runtime/device_profile.js';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph, type GraphLimits, rowChunks } from '../../runtime/graph.js';
import { type LinearVariant, VEC_SHUFFLE_VARIANTS, defaultLinearVariant, linear, resolveLinearVariant } from '../../runtime/ops/linear.js';
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
type ShuffleVariant = (typeof VEC_SHUFFLE_VARIANTS)[number];

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
  readonly residual: boolean;
  readonly norm: boolean;
  readonly variant: ShuffleVariant;
  /** x ~ N(0, xStd²): residual-stream magnitudes, or small so that eps matters. */
  readonly xStd?: number;
  readonly eps?: number;
  /** Bind w as row chunks of at most this many bytes: one dispatch per chunk, each writing its columns of y. */
  readonly bindBytes?: number;
}

// Every M ≤ 8; N = 1 and primes (ragged last workgroup: 2113 rows = 16 workgroups of 128 + 65); K = 8 (one word),
// 24 and 72 (3 and 9 words: a block shorter than the subgroup, a full one plus 1), 64, 136, 896, 4864; every R;
// every combination of bias, residual and norm at least once; x large and small with an eps that dominates
// mean(x²); w in 2 and 4 row chunks (y_col, y_stride, b_off per chunk, the norm per chunk); the real decode
// q/k/v + norm, o_proj + residual, down_proj + residual.
const CASES: Case[] = [
  { M: 1, N: 1, K: 8, bias: true, residual: true, norm: true, variant: 'vec_shuffle_r2' },
  { M: 2, N: 7, K: 8, bias: false, residual: false, norm: false, variant: 'vec_shuffle_r8' },
  { M: 3, N: 13, K: 24, bias: true, residual: false, norm: true, xStd: 40, variant: 'vec_shuffle_r4' },
  { M: 4, N: 31, K: 72, bias: false, residual: true, norm: true, xStd: 0.01, eps: 1e-3, variant: 'vec_shuffle_r2' },
  { M: 5, N: 67, K: 896, bias: true, residual: true, norm: true, variant: 'vec_shuffle_r8' },
  { M: 6, N: 5, K: 64, bias: true, residual: true, norm: false, variant: 'vec_shuffle_r4' },
  { M: 7, N: 131, K: 4864, bias: true, residual: false, norm: true, variant: 'vec_shuffle_r2' },
  { M: 8, N: 37, K: 136, bias: false, residual: true, norm: false, variant: 'vec_shuffle_r4' },
  { M: 8, N: 11, K: 896, bias: false, residual: false, norm: true, xStd: 3, variant: 'vec_shuffle_r8' },
  { M: 1, N: 2113, K: 72, bias: true, residual: true, norm: false, variant: 'vec_shuffle_r2' },
  { M: 1, N: 149, K: 144, bias: true, residual: true, norm: true, bindBytes: 70 * 149 * 4, variant: 'vec_shuffle_r8' }, // chunks of 144 + 5 rows
  { M: 2, N: 1031, K: 136, bias: false, residual: false, norm: true, bindBytes: 300 * 272, variant: 'vec_shuffle_r4' }, // 4 chunks
  { M: 1, N: LLM_HIDDEN + 2 * LLM_KV, K: LLM_HIDDEN, bias: true, residual: false, norm: true, variant: 'vec_shuffle_r2' }, // decode q/k/v
  { M: 1, N: LLM_HIDDEN, K: LLM_HIDDEN, bias: false, residual: true, norm: false, variant: 'vec_shuffle_r2' }, // o_proj
  { M: 1, N: LLM_HIDDEN, K: LLM_FFN, bias: false, residual: true, norm: false, variant: 'vec_shuffle_r2' }, // down_proj
];

// [M, K, F, norm] for swiglu: degenerate; every M ≤ 8 with odd F and K of 1, 2, 3, 9, 17 words; K = 4864; the
// real decode gate/up with and without post_attention_layernorm.
const SWIGLU_CASES: [number, number, number, boolean][] = [
  [1, 8, 1, true], [2, 16, 7, false], [3, 24, 33, true], [4, 64, 5, false], [5, 72, 11, true], [6, 136, 3, false],
  [7, 4864, 13, true], [8, 72, 131, true], [1, LLM_HIDDEN, LLM_FFN, true], [1, LLM_HIDDEN, LLM_FFN, false],
];

const SHUFFLE_KERNELS = ['linear_vec_shuffle', 'linear_vec_swiglu_shuffle'];

/** Graph limits of the device, with a smaller binding limit where the case asks for row chunks. */
function limitsFor(gpu: Gpu, bindBytes?: number): GraphLimits {
  const l = gpu.limits;
  return { maxStorageBufferBindingSize: bindBytes ?? l.maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment };
}

const kernels = (g: Graph) => g.nodes.flatMap((n) => n.dispatches.map((d) => d.kernel.name));

/** The same graph with every shuffle dispatch forced onto its direct-load path. */
function withoutSharing(g: Graph): void {
  g.nodes.forEach((n, i) => {
    const dispatches = n.dispatches.map((d) => (SHUFFLE_KERNELS.includes(d.kernel.name) ? { ...d, constants: { ...d.constants, SHARE_X: false } } : d));
    g.nodes[i] = { ...n, dispatches };
  });
}

async function runGraph(gpu: Gpu, g: Graph, y: Tensor): Promise<Float32Array> {
  const plan = compilePlan(gpu, g, { keep: [y], poison: true, label: 'test' });
  const bytes = await plan.run({ read: [y] });
  plan.destroy();
  return decodeValues('f32', bytes.get(y.name)!, numel(y.shape)) as Float32Array;
}

/** Runs the graph `build` makes with x shared and, where the shuffle kernel runs, with SHARE_X off; checks both. */
async function checkBoth(gpu: Gpu, limits: GraphLimits, profile: DeviceProfile, build: (g: Graph) => Tensor, expectKernels: (ks: string[]) => void, want: Float64Array, what: string) {
  for (const shareX of gpu.profile.subgroups ? [true, false] : [true]) {
    const g = new Graph(limits, profile);
    const y = build(g);
    expectKernels(kernels(g));
    if (!shareX) withoutSharing(g);
    expectClose(`${what}${shareX ? '' : ', SHARE_X off'}`, await runGraph(gpu, g, y), want, TOL.matmul);
  }
}


forEachSubgroupDevice((label, use) => {
  describe(`decode GEMVs with x shared by subgroupShuffle, ${label}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const c of CASES) {
      const shape = `[${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''}${c.residual ? ' + r' : ''}${c.norm ? ', rmsNorm(x)' : ''}${c.bindBytes ? ', w in row chunks' : ''}`;
      it(`linear ${c.variant} ${shape}`, async () => {
        const r = rng(c.M * 7919 + c.N * 31 + c.K);
        const tg = new TestGraph(gpu);
        const eps = c.eps ?? EPS;
        const x = tg.tensor('x', [c.M, c.K], 'f32', r.normal(c.M * c.K, c.xStd ?? 1));
        const nw = c.norm ? tg.tensor('norm_w', [c.K], 'f32', r.uniform(c.K, -2, 2)) : undefined;
        const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
        const res = c.residual ? tg.tensor('res', [c.M, c.N], 'f32', r.normal(c.M * c.N, 2), 'input') : undefined;
        const xs = nw ? rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, c.M, c.K, eps) : tg.env.get(x.id)!;
        const want = linearRef(xs, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K, res && tg.env.get(res.id));
        const limits = limitsFor(gpu, c.bindBytes);
        const chunks = rowChunks(limits, w).length;
        if (c.bindBytes) expect(chunks).toBeGreaterThan(1);
        const opts = { variant: c.variant, ...(res && { residual: res }), ...(nw && { rmsNorm: { weight: nw, eps } }) };
        await checkBoth(gpu, limits, gpu.profile, (g) => linear(g, x, w, b, 'y', opts), (ks) => {
          // with subgroups: one fused dispatch per chunk; without: linear_vec (after rms_norm where x does not fit)
          if (gpu.profile.subgroups) expect(ks).toEqual(Array(chunks).fill('linear_vec_shuffle'));
          else expect(ks.filter((k) => k !== 'rms_norm')).toEqual(Array(chunks).fill('linear_vec'));
        }, want, `linear ${c.variant} (${label}) ${shape}`);
      });
    }

    for (const [M, K, F, norm] of SWIGLU_CASES) {
      it(`swiglu rows_shuffle x [${M}, ${K}], gate/up [${F}, ${K}]${norm ? ', rmsNorm(x)' : ''}`, async () => {
        const r = rng(M * 7919 + K * 31 + F);
        const tg = new TestGraph(gpu);
        const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 5));
        const nw = norm ? tg.tensor('norm_w', [K], 'f32', r.uniform(K, -2, 2)) : undefined;
        const gate = tg.tensor('gate', [F, K], 'bf16', r.normal(F * K, 1 / Math.sqrt(K)));
        const up = tg.tensor('up', [F, K], 'bf16', r.normal(F * K, 1 / Math.sqrt(K)));
        const xs = nw ? rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, M, K, EPS) : tg.env.get(x.id)!;
        const want = siluMulRef(linearRef(xs, tg.env.get(gate.id)!, undefined, M, F, K), linearRef(xs, tg.env.get(up.id)!, undefined, M, F, K));
        const opts = { variant: 'rows_shuffle' as const, ...(nw && { rmsNorm: { weight: nw, eps: EPS } }) };
        await checkBoth(gpu, gpu.limits, gpu.profile, (g) => swiglu(g, x, gate, up, 'y', opts), (ks) => {
          if (gpu.profile.subgroups) expect(ks).toEqual(['linear_vec_swiglu_shuffle']);
          else expect(ks.filter((k) => k !== 'rms_norm')).toEqual(['linear_vec_swiglu']);
        }, want, `swiglu rows_shuffle (${label}) [${M}, ${K}]·[${F}, ${K}]${norm ? ' + rmsNorm' : ''}`);
      });
    }

    it('the rows_shuffle gemv picks vec_shuffle_r<R> (vec_r<R> without subgroups) and the shuffle SwiGLU', () => {
      const profile: DeviceProfile = { ...gpu.profile, variants: { ...gpu.profile.variants, gemv: 'rows_shuffle' } };
      const g = new Graph(gpu.limits, profile);
      const picks: [number, number, LinearVariant][] = [[1, LLM_HIDDEN, 'vec_shuffle_r2'], [1, 151655, 'vec_shuffle_r8'], [4, LLM_HIDDEN, 'vec_shuffle_r4']];
      for (const [M, N, want] of picks) {
        const v = defaultLinearVariant(g, M, LLM_HIDDEN, N);
        expect(v).toBe(want);
        expect(resolveLinearVariant(v, M, LLM_HIDDEN, gpu.profile.subgroups)).toBe(gpu.profile.subgroups ? want : want.replace('shuffle_', ''));
      }
      expect(resolveLinearVariant('vec_shuffle_r2', 9, 64, gpu.profile.subgroups)).toBe('gemm4x8'); // M > 8
      expect(resolveLinearVariant('vec_shuffle_r2', 1, 20, gpu.profile.subgroups)).toBe('gemm4x8'); // K % 8 ≠ 0
      linear(g, g.tensor('x', [1, 64]), g.tensor('w', [48, 64], 'bf16'), undefined, 'y');
      swiglu(g, g.tensor('x2', [2, 64]), g.tensor('gate', [48, 64], 'bf16'), g.tensor('up', [48, 64], 'bf16'), 'y2');
      expect(kernels(g)).toEqual(gpu.profile.subgroups ? ['linear_vec_shuffle', 'linear_vec_swiglu_shuffle'] : ['linear_vec', 'linear_vec_swiglu']);
    });

    // The real lm_head after the final norm: 151655 × 896 bf16 = 272 MB, over lavapipe's 128 MiB binding limit →
    // row chunks, each dispatch normalising x itself. Weights from a cheap integer hash (bf16 bits directly), the
    // float64 reference from a bf16 lookup table. Subgroups device only (without, vec_r8 runs: linear.test.ts).
    it.runIf(label === 'subgroups')('lm_head(rmsNorm(x)) [1, 896] · [151655, 896]ᵀ bound as row chunks, vec_shuffle_r8', async () => {
      const { M, N, K } = linearShape('lm_head');
      const tg = new TestGraph(gpu);
      const bits = hashedBf16Bits(N * K);
      const w = createTensor(gpu, 'lm_head', [N, K], 'bf16', 'weight');
      writeTensor(gpu, w, bits);
      const r = rng(5);
      const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 3));
      const nw = tg.tensor('norm_w', [K], 'f32', r.uniform(K, -2, 2));
      const xn = rmsNormRef(tg.env.get(x.id)!, tg.env.get(nw.id)!, M, K, EPS);
      const lut = bf16Table();
      const want = new Float64Array(M * N);
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0, o = n * K; k < K; k++) s += xn[k]! * lut[bits[o + k]!]!;
        want[n] = s;
      }
      const chunks = rowChunks(gpu.limits, w).length;
      expect(chunks).toBeGreaterThan(1);
      await checkBoth(gpu, gpu.limits, gpu.profile, (g) => linear(g, x, w, undefined, 'logits', { variant: 'vec_shuffle_r8', rmsNorm: { weight: nw, eps: EPS } }), (ks) => {
        expect(ks).toEqual(Array(chunks).fill('linear_vec_shuffle'));
      }, want, 'linear vec_shuffle_r8 lm_head + rmsNorm');
      w.storage!.buffer.destroy();
    });
  });
});
