// The 'coalesced' GEMV variant (kernels/linear_coalesced.wgsl, kernels/linear_coalesced_sg.wgsl via
// runtime/ops/linear_coalesced.ts) for `linear` and the decode `swiglu`, on the default test device (subgroups:
// the subgroupAdd kernel) and on one without subgroups (the workgroup-memory reduction), against the float64
// references with outputs poisoned; plus the `residual` option of `linear` on every other variant.
import { describe, expect, it } from 'vitest';
import { linearCoalescedSgKernel } from '../../kernels/linear_coalesced_sg.js';
import type { Gpu } from '../../runtime/device.js';
import type { DeviceProfile } from '../../runtime/device_profile.js';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph } from '../../runtime/graph.js';
import { getPipeline } from '../../runtime/kernel.js';
import { LINEAR_VARIANTS, type LinearVariant, linear } from '../../runtime/ops/linear.js';
import { swiglu } from '../../runtime/ops/swiglu.js';
import { compilePlan } from '../../runtime/plan.js';
import { siluMul as siluMulRef } from '../../runtime/reference/elementwise.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import { type Tensor, numel } from '../../runtime/tensor.js';
import { createTensor, writeTensor } from '../../runtime/upload.js';
import { LLM_FFN, LLM_HIDDEN, linearShape } from '../../bench/shapes.js';
import { bf16Table, expectClose, getGpu, hashedBf16Bits, rng, TestGraph } from '../harness.js';
import { nodeGpu } from '../../tools/node/gpu.js';
import { forEachSubgroupDevice } from '../subgroup_devices.js';
import { TOL } from '../tolerances.js';

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
  readonly residual: boolean;
  readonly lead?: readonly number[]; // leading dims of x instead of [M]
}

const real = (name: string, residual = false): Case => {
  const s = linearShape(name);
  return { M: s.M, N: s.N, K: s.K, bias: s.bias, residual };
};

// Degenerate (N = 1, K = 8: one word per row, 64 invocations); every M ≤ 8 with partial-sum counts that do not
// divide the workgroup; K with a ragged last stride (K/8 = 129 words over 256 invocations) and K = 4864; N large
// enough for 2 (1061) and 4 (2113) rows per workgroup with a ragged last workgroup; the real decode shapes (q, k/v
// with bias; o and down with the residual add; gate/up).
const CASES: Case[] = [
  { M: 1, N: 1, K: 8, bias: true, residual: true },
  { M: 2, N: 1, K: 16, bias: false, residual: false },
  { M: 3, N: 7, K: 8, bias: true, residual: false },
  { M: 4, N: 13, K: 24, bias: false, residual: true },
  { M: 5, N: 31, K: 40, bias: true, residual: true },
  { M: 6, N: 5, K: 16, bias: true, residual: true, lead: [2, 3] },
  { M: 7, N: 67, K: 4864, bias: true, residual: true },
  { M: 8, N: 131, K: 1032, bias: false, residual: true },
  { M: 1, N: 1061, K: 64, bias: true, residual: true },
  { M: 3, N: 2113, K: 32, bias: true, residual: false },
  { M: 5, N: 2113, K: 8, bias: false, residual: true },
  real('decode.q'),
  real('decode.kv'),
  { ...real('decode.q'), bias: false, residual: true }, // o_proj
  real('decode.gate_up'),
  real('decode.down', true),
];

// [M, K, F] for swiglu: degenerate, odd F, every partial-sum count up to 16 (M = 8: gate and up of one row), F
// large enough for 4 rows per workgroup (2113, ragged), the real decode shape.
const SWIGLU_CASES: [number, number, number][] = [[1, 8, 1], [2, 16, 7], [3, 64, 33], [8, 24, 131], [1, 40, 2113], [5, 1032, 13], [1, LLM_HIDDEN, LLM_FFN]];

async function runGraph(tg: TestGraph, g: Graph, y: Tensor): Promise<Float32Array> {
  const plan = compilePlan(tg.gpu, g, { keep: [y], poison: true, label: 'test' });
  const bytes = await plan.run({ read: [y] });
  plan.destroy();
  return decodeValues('f32', bytes.get(y.name)!, numel(y.shape)) as Float32Array;
}

/** The profile with the coalesced GEMV chosen (what DEFAULTS.gpu picks), the rest of the device's facts kept. */
const coalescedProfile = (p: DeviceProfile): DeviceProfile => ({ ...p, variants: { ...p.variants, gemv: 'coalesced' } });

/** Every dispatch of the graph runs the kernel expected for this device (the test must not pass on the wrong path). */
function expectKernel(g: Graph, gpu: Gpu): void {
  const names = g.nodes.flatMap((n) => n.dispatches.map((d) => d.kernel.name));
  expect(names).toEqual(names.map(() => (gpu.profile.subgroups ? 'linear_coalesced_sg' : 'linear_coalesced')));
}


forEachSubgroupDevice((label, use) => {
  describe(`coalesced GEMV, ${label}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const c of CASES) {
      it(`linear [${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''}${c.residual ? ' + r' : ''}`, async () => {
        const r = rng(c.M * 7919 + c.N * 31 + c.K);
        const tg = new TestGraph(gpu);
        const lead = c.lead ?? [c.M];
        const x = tg.tensor('x', [...lead, c.K], 'f32', r.normal(c.M * c.K));
        const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
        const res = c.residual ? tg.tensor('res', [...lead, c.N], 'f32', r.normal(c.M * c.N, 2), 'input') : undefined;
        const want = linearRef(tg.env.get(x.id)!, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K, res && tg.env.get(res.id));
        for (const g of [new Graph(gpu.limits, gpu.profile), new Graph(gpu.limits, coalescedProfile(gpu.profile))]) {
          // forced by the option, then chosen by the profile
          const forced = g.profile === gpu.profile;
          const y = linear(g, x, w, b, 'y', { ...(forced && { variant: 'coalesced' as const }), ...(res && { residual: res }) });
          expect(y.shape).toEqual([...lead, c.N]);
          expect(g.nodes.length).toBe(1); // bias and residual fused
          expectKernel(g, gpu);
          expectClose(`linear coalesced ${forced ? 'forced' : 'profile'} M=${c.M} N=${c.N} K=${c.K}`, await runGraph(tg, g, y), want, TOL.matmul);
        }
      });
    }

    for (const [M, K, F] of SWIGLU_CASES) {
      it(`swiglu x [${M}, ${K}], gate/up [${F}, ${K}]`, async () => {
        const r = rng(M * 7919 + K * 31 + F);
        const tg = new TestGraph(gpu);
        const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 1));
        const gate = tg.tensor('gate', [F, K], 'bf16', r.normal(F * K, 0.1));
        const up = tg.tensor('up', [F, K], 'bf16', r.normal(F * K, 0.1));
        const xs = tg.env.get(x.id)!;
        const want = siluMulRef(linearRef(xs, tg.env.get(gate.id)!, undefined, M, F, K), linearRef(xs, tg.env.get(up.id)!, undefined, M, F, K));
        const g = new Graph(gpu.limits, coalescedProfile(gpu.profile));
        const y = swiglu(g, x, gate, up, 'y');
        expectKernel(g, gpu);
        expectClose(`swiglu coalesced [${M}, ${K}]·[${F}, ${K}]`, await runGraph(tg, g, y), want, TOL.matmul);
      });
    }

    // The real lm_head: 151655 × 896 bf16 = 272 MB, over lavapipe's 128 MiB binding limit → row chunks, each
    // dispatch offset by its first row (y_col, b_off). lm_head has no bias and no residual; both are added here
    // so that their per-chunk offsets are checked too. Weights from a cheap integer hash (bf16 bits directly).
    it('lm_head [1, 896] · [151655, 896]ᵀ + b + r bound as row chunks', async () => {
      const { M, N, K } = linearShape('lm_head');
      const tg = new TestGraph(gpu);
      const bits = hashedBf16Bits(N * K);
      const w = createTensor(gpu, 'lm_head', [N, K], 'bf16', 'weight');
      writeTensor(gpu, w, bits);
      expect(w.storage!.size).toBeGreaterThan(gpu.limits.maxStorageBufferBindingSize);
      const r = rng(5);
      const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K));
      const b = tg.tensor('b', [N], 'f32', r.normal(N));
      const res = tg.tensor('res', [M, N], 'f32', r.normal(M * N), 'input');
      const [xs, bs, rs] = [tg.env.get(x.id)!, tg.env.get(b.id)!, tg.env.get(res.id)!];
      const lut = bf16Table();
      const want = new Float64Array(M * N);
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0, o = n * K; k < K; k++) s += xs[k]! * lut[bits[o + k]!]!;
        want[n] = s + bs[n]! + rs[n]!;
      }
      const g = new Graph(gpu.limits, gpu.profile);
      const y = linear(g, x, w, b, 'logits', { variant: 'coalesced', residual: res });
      expect(g.nodes[0]!.dispatches.length).toBeGreaterThan(1);
      expectKernel(g, gpu);
      expectClose('linear coalesced lm_head', await runGraph(tg, g, y), want, TOL.matmul);
      w.storage!.buffer.destroy();
    });
  });
});

describe('linear residual option, every other variant', () => {
  // GEMM variants (M > 8 or K % 8 ≠ 0) add it with a second op (runtime/ops/residual.ts), except those whose store
  // has the epilogue (gemm_tiled; gemm_shuffle with subgroups and K % 4 == 0: one op); the 'rows' GEMV
  // (kernels/linear_vec.wgsl) fuses it like the coalesced one.
  const cases: [Case, readonly LinearVariant[], number][] = [
    [{ M: 9, N: 13, K: 24, bias: true, residual: true }, LINEAR_VARIANTS, 2], // M > 8: every variant runs a GEMM
    [{ M: 12, N: 67, K: 33, bias: false, residual: true, lead: [3, 4] }, ['gemm8x8', 'gemm4x8', 'gemm_tiled'], 2],
    [{ M: 3, N: 67, K: 17, bias: true, residual: true }, ['vec_r2', 'coalesced'], 2], // K % 8 ≠ 0: the GEMM runs
    [{ M: 3, N: 67, K: 64, bias: true, residual: true }, ['vec_r8', 'vec_r4', 'vec_r2'], 1],
    [{ M: 1, N: 131, K: 896, bias: false, residual: true }, ['vec_r8', 'vec_r2'], 1],
  ];
  for (const [c, variants, nodes] of cases) {
    it(`[${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''} + r: ${variants.join(', ')}`, async () => {
      const gpu = await getGpu();
      const r = rng(c.M * 131 + c.N * 7 + c.K);
      const tg = new TestGraph(gpu);
      const lead = c.lead ?? [c.M];
      const x = tg.tensor('x', [...lead, c.K], 'f32', r.normal(c.M * c.K));
      const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
      const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
      const res = tg.tensor('res', [...lead, c.N], 'f32', r.normal(c.M * c.N, 2), 'input');
      const want = linearRef(tg.env.get(x.id)!, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K, tg.env.get(res.id));
      for (const variant of variants) {
        const g = new Graph(gpu.limits, gpu.profile);
        const y = linear(g, x, w, b, 'y', { variant, residual: res });
        expect(y.name).toBe('y');
        expect(y.shape).toEqual([...lead, c.N]);
        const fusedStore = variant === 'gemm_tiled' || (variant === 'gemm_shuffle' && gpu.profile.subgroups && c.K % 4 === 0);
        expect(g.nodes.length).toBe(fusedStore ? 1 : nodes);
        expectClose(`linear ${variant} + residual M=${c.M} N=${c.N} K=${c.K}`, await runGraph(tg, g, y), want, TOL.matmul);
      }
    });
  }

  it('rejects a residual not shaped like y, and the subgroup kernel on a device without subgroups', async () => {
    const tg = new TestGraph(await getGpu());
    const x = tg.tensor('x', [2, 8], 'f32', new Float64Array(16));
    const w = tg.tensor('w', [3, 8], 'bf16', new Float64Array(24));
    const res = tg.tensor('res', [2, 4], 'f32', new Float64Array(8));
    expect(() => linear(tg.g, x, w, undefined, 'y', { residual: res })).toThrow(/\[linear\] residual must be \[2, 3\] like y/);
    const plain = await nodeGpu({ disable: ['subgroups'] });
    expect(() => getPipeline(plain.device, linearCoalescedSgKernel)).toThrow(/needs the device feature "subgroups"/);
    plain.device.destroy();
  });
});
