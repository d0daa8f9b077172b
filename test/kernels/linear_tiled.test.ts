// linear with the 'gemm_tiled' variant forced (kernels/linear_tiled.wgsl + linear_splitk_sum.wgsl through
// runtime/ops/linear_tiled.ts) against the float64 reference, outputs and split-K partials poisoned with NaN.
// Every case states the tile and the split count it expects, so each path (64×64 and 32×32 tiles, K even and
// odd, one chunk of K or several, row-chunked weights) is known to run.
import { describe, expect, it } from 'vitest';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph, type GraphLimits } from '../../runtime/graph.js';
import { linear } from '../../runtime/ops/linear.js';
import { TILE_LARGE, TILE_SKINNY, tileStorageBytes } from '../../runtime/ops/linear_tiled.js';
import { compilePlan } from '../../runtime/plan.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import { numel } from '../../runtime/tensor.js';
import { LLM_FFN, LLM_HIDDEN, VIT_HIDDEN } from '../../bench/shapes.js';
import { TestGraph, expectClose, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
  /** Tile rows the op must choose (32: skinny, 64: large) and split-K chunks per weight row chunk. */
  readonly bm: number;
  readonly splits: number;
  readonly lead?: readonly number[]; // leading dims of x instead of [M]
  /** Pretend maxStorageBufferBindingSize is this, so the weight is bound as row chunks (as lm_head is). */
  readonly bindingLimit?: number;
  readonly chunks?: number;
}

const CASES: Case[] = [
  // degenerate
  { M: 1, N: 1, K: 1, bias: false, bm: 32, splits: 1 },
  { M: 1, N: 1, K: 1, bias: true, bm: 32, splits: 1 },
  { M: 2, N: 3, K: 2, bias: true, bm: 32, splits: 1 },
  // odd: primes, K odd (per-element weight loads), nothing a multiple of any tile
  { M: 7, N: 13, K: 9, bias: true, bm: 32, splits: 1 },
  { M: 33, N: 67, K: 31, bias: false, bm: 64, splits: 1 },
  { M: 65, N: 67, K: 34, bias: true, bm: 64, splits: 1 },
  { M: 131, N: 197, K: 37, bias: true, bm: 64, splits: 1 },
  // skinny (M 9..32): the 32-row tile
  { M: 9, N: 41, K: 64, bias: true, bm: 32, splits: 1 },
  { M: 17, N: 33, K: 47, bias: false, bm: 32, splits: 1 },
  { M: 32, N: 32, K: 32, bias: true, bm: 32, splits: 1 },
  { M: 30, N: 5, K: 16, bias: false, bm: 32, splits: 1, lead: [2, 3, 5] },
  // split-K: K odd and even, uneven last chunk, both tiles
  { M: 13, N: 97, K: 515, bias: true, bm: 32, splits: 2 },
  { M: 29, N: 37, K: 1031, bias: false, bm: 32, splits: 4 },
  { M: 97, N: 71, K: 770, bias: true, bm: 64, splits: 3 },
  // row-chunked weights (as lm_head): with and without split-K, both tiles
  { M: 17, N: 421, K: 66, bias: true, bm: 32, splits: 1, bindingLimit: 32768, chunks: 3 },
  { M: 20, N: 150, K: 512, bias: true, bm: 32, splits: 2, bindingLimit: 65536, chunks: 3 },
  { M: 40, N: 150, K: 512, bias: false, bm: 64, splits: 2, bindingLimit: 65536, chunks: 3 },
  // real InternVL2-1B shapes: batch-32 decode (q, down: split-K), ViT qkv with 129 of its 1025 rows
  { M: 32, N: LLM_HIDDEN, K: LLM_HIDDEN, bias: true, bm: 32, splits: 3 },
  { M: 32, N: LLM_HIDDEN, K: LLM_FFN, bias: false, bm: 32, splits: 5 },
  { M: 129, N: 3 * VIT_HIDDEN, K: VIT_HIDDEN, bias: true, bm: 64, splits: 1 },
];

async function check(c: Case) {
  const r = rng(c.M * 7919 + c.N * 31 + c.K);
  const tg = new TestGraph(await getGpu());
  const x = tg.tensor('x', c.lead ? [...c.lead, c.K] : [c.M, c.K], 'f32', r.normal(c.M * c.K));
  const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
  const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
  const { maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment } = tg.gpu.limits;
  const limits: GraphLimits = { maxStorageBufferBindingSize: c.bindingLimit ?? maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment };
  const g = new Graph(limits, tg.g.profile);
  const y = linear(g, x, w, b, 'y', { variant: 'gemm_tiled' });
  expect(y.shape).toEqual(c.lead ? [...c.lead, c.N] : [c.M, c.N]);

  const gemms = g.nodes[0]!.dispatches.filter((d) => d.kernel.name === 'linear_tiled');
  const sums = g.nodes[0]!.dispatches.filter((d) => d.kernel.name === 'linear_splitk_sum');
  expect(gemms.length).toBe(c.chunks ?? 1);
  expect(sums.length).toBe(c.splits > 1 ? gemms.length : 0);
  for (const d of gemms) expect([d.constants?.BM, d.grid[2]]).toEqual([c.bm, c.splits]);

  const plan = compilePlan(tg.gpu, g, { keep: [y], poison: true, label: 'test' });
  const bytes = await plan.run({ read: [y] });
  plan.destroy();
  const got = decodeValues('f32', bytes.get(y.name)!, numel(y.shape));
  const want = linearRef(tg.env.get(x.id)!, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K);
  expectClose(`linear gemm_tiled M=${c.M} N=${c.N} K=${c.K} bias=${c.bias}`, got, want, TOL.matmul);
}

describe('linear gemm_tiled', () => {
  it('tiles fit the WebGPU default of 16 KiB workgroup memory', () => {
    for (const t of [TILE_LARGE, TILE_SKINNY]) expect(tileStorageBytes(t)).toBeLessThanOrEqual(16384);
  });

  for (const c of CASES) {
    const what = `${c.splits > 1 ? `, split-K ${c.splits}` : ''}${c.chunks ? `, ${c.chunks} weight row chunks` : ''}`;
    it(`[${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''} (${c.bm}-row tile${what})`, async () => {
      await check(c);
    });
  }
});
