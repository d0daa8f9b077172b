import { describe, it } from 'vitest';
import { swiglu } from '../../runtime/ops/swiglu.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// [M, K, F]: degenerate, odd F (tail rows), batched decode rows, the real Qwen2 decode shape, and a prefill
// shape that takes the unfused path (two linears + silu_mul).
const CASES: [number, number, number][] = [[1, 8, 1], [1, 16, 7], [3, 64, 33], [8, 24, 130], [1, 896, 4864], [17, 64, 45]];

describe('swiglu (gate/up GEMV + silu·mul)', () => {
  for (const [M, K, F] of CASES) {
    it(`x [${M}, ${K}], gate/up [${F}, ${K}]`, async () => {
      const r = rng(M * 7919 + K * 31 + F);
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [M, K], 'f32', r.normal(M * K, 1));
      const gate = tg.tensor('gate', [F, K], 'bf16', r.normal(F * K, 0.1));
      const up = tg.tensor('up', [F, K], 'bf16', r.normal(F * K, 0.1));
      await checkGraph(tg, [swiglu(tg.g, x, gate, up, 'y')], TOL.matmul, `swiglu [${M}, ${K}]·[${F}, ${K}]`);
    });
  }
});
