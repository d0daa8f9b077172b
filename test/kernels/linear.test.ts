import { describe, expect, it } from 'vitest';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph } from '../../runtime/graph.js';
import { LINEAR_VARIANTS, type LinearVariant, linear, resolveLinearVariant } from '../../runtime/ops/linear.js';
import { compilePlan } from '../../runtime/plan.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import { type Tensor, numel } from '../../runtime/tensor.js';
import { createTensor, writeTensor } from '../../runtime/upload.js';
import { linearShape } from '../../bench/shapes.js';
import { bf16Table, expectClose, getGpu, hashedBf16Bits, rng, TestGraph } from '../harness.js';
import { TOL } from '../tolerances.js';

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
  readonly lead?: readonly number[]; // leading dims of x instead of [M]
}

const real = (name: string): Case => linearShape(name);
// degenerate; odd (primes, non-multiples of every tile; K odd takes the per-element path); batch decode;
// real InternVL2-1B shapes (decode GEMVs, ViT qkv).
const CASES: Case[] = [
  { M: 1, N: 1, K: 1, bias: false },
  { M: 1, N: 1, K: 8, bias: true },
  { M: 7, N: 13, K: 9, bias: true },
  { M: 33, N: 67, K: 31, bias: false },
  { M: 65, N: 13, K: 64, bias: true },
  { M: 7, N: 67, K: 64, bias: false },
  { M: 65, N: 67, K: 34, bias: true },
  { M: 6, N: 5, K: 16, bias: true, lead: [2, 3] },
  { M: 3, N: 896, K: 896, bias: true },
  { M: 8, N: 131, K: 120, bias: false },
  real('decode.gate_up'),
  real('decode.down'),
  real('vit.qkv'),
];

/**
 * Upload x, w, b once; run every variant in its own plan (outputs poisoned); compare to one float64 reference.
 * A GEMV variant outside its domain (M > 8, K % 8 ≠ 0) runs the GEMM; such duplicates are run once.
 */
async function checkVariants(c: Case, requested: readonly (LinearVariant | undefined)[]) {
  const variants = [...new Set(requested.map((v) => (v ? resolveLinearVariant(v, c.M, c.K) : v)))];
  const r = rng(c.M * 7919 + c.N * 31 + c.K);
  const tg = new TestGraph(await getGpu());
  const x = tg.tensor('x', c.lead ? [...c.lead, c.K] : [c.M, c.K], 'f32', r.normal(c.M * c.K));
  const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
  const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
  const want = linearRef(tg.env.get(x.id)!, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K);
  for (const variant of variants) {
    const g = new Graph(tg.gpu.limits, tg.g.profile);
    const y = linear(g, x, w, b, 'y', variant ? { variant } : {});
    expect(y.shape).toEqual(c.lead ? [...c.lead, c.N] : [c.M, c.N]);
    const got = await runGraph(tg, g, y);
    expectClose(`linear ${variant ?? 'default'} M=${c.M} N=${c.N} K=${c.K} bias=${c.bias}`, got, want, TOL.matmul);
  }
}

async function runGraph(tg: TestGraph, g: Graph, y: Tensor): Promise<Float32Array> {
  const plan = compilePlan(tg.gpu, g, { keep: [y], poison: true, label: 'test' });
  const bytes = await plan.run({ read: [y] });
  plan.destroy();
  return decodeValues('f32', bytes.get(y.name)!, numel(y.shape)) as Float32Array;
}

describe('linear', () => {
  for (const c of CASES) {
    it(`[${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''}, every variant`, async () => {
      await checkVariants(c, LINEAR_VARIANTS);
    });
  }

  it('default variant choice runs (GEMV for M ≤ 8, GEMM above)', async () => {
    await checkVariants({ M: 9, N: 40, K: 64, bias: true }, [undefined]);
    await checkVariants({ M: 2, N: 40, K: 64, bias: true }, [undefined]);
  });

  it('rejects mismatched shapes and dtypes, naming the op', async () => {
    const tg = new TestGraph(await getGpu());
    const x = tg.tensor('x', [2, 8], 'f32', new Float64Array(16));
    const w = tg.tensor('w', [3, 9], 'bf16', new Float64Array(27));
    expect(() => linear(tg.g, x, w, undefined, 'y')).toThrow(/\[linear\].*x \[2, 8\] f32, w \[3, 9\] bf16/);
    const w2 = tg.tensor('w2', [3, 8], 'f32', new Float64Array(24));
    expect(() => linear(tg.g, x, w2, undefined, 'y')).toThrow(/\[linear\] w2 must be bf16/);
    const w3 = tg.tensor('w3', [3, 8], 'bf16', new Float64Array(24));
    const b = tg.tensor('b', [4], 'f32', new Float64Array(4));
    expect(() => linear(tg.g, x, w3, b, 'y')).toThrow(/\[linear\] bias must be \[N\]/);
  });

  // The real lm_head: 151655 × 896 bf16 = 272 MB, over lavapipe's 128 MiB binding limit → row chunks.
  // Weights come from a cheap integer hash (bf16 bits directly), the reference is computed here in float64 from
  // a bf16 lookup table, and every output is compared.
  it('lm_head [1, 896] · [151655, 896]ᵀ bound as row chunks, every variant', async () => {
    const { M, N, K } = linearShape('lm_head');
    const gpu = await getGpu();
    const tg = new TestGraph(gpu);
    const bits = hashedBf16Bits(N * K);
    const w = createTensor(gpu, 'lm_head', [N, K], 'bf16', 'weight');
    writeTensor(gpu, w, bits);
    expect(w.storage!.size).toBeGreaterThan(gpu.limits.maxStorageBufferBindingSize);
    const xv = rng(5).normal(M * K);
    const x = tg.tensor('x', [M, K], 'f32', xv);
    const xs = tg.env.get(x.id)!;
    const lut = bf16Table();
    const want = new Float64Array(M * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0, o = n * K; k < K; k++) s += xs[m * K + k]! * lut[bits[o + k]!]!;
        want[m * N + n] = s;
      }
    }
    for (const variant of ['vec_r8', 'vec_r4', 'vec_r2', 'gemm4x8'] as const) {
      const g = new Graph(gpu.limits, tg.g.profile);
      const y = linear(g, x, w, undefined, 'logits', { variant });
      expect(g.nodes[0]!.dispatches.length).toBeGreaterThan(1);
      expectClose(`linear ${variant} lm_head`, await runGraph(tg, g, y), want, TOL.matmul);
    }
    w.storage!.buffer.destroy();
  });
});
