import { describe, it } from 'vitest';
import { siluMul } from '../../runtime/ops/silu_mul.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// degenerate, odd, the real Qwen2 MLP shapes (decode [1, 4864] and a prefill of 64 tokens [64, 4864])
const CASES: [number, number][] = [[1, 1], [3, 7], [5, 257], [1, 4864], [64, 4864]];

describe('silu_mul', () => {
  for (const [rows, cols] of CASES) {
    it(`[${rows}, ${cols}]`, async () => {
      const r = rng(rows * 1000 + cols);
      const tg = new TestGraph(await getGpu());
      const gate = tg.tensor('gate', [rows, cols], 'f32', r.normal(rows * cols, 4));
      const up = tg.tensor('up', [rows, cols], 'f32', r.normal(rows * cols, 2));
      await checkGraph(tg, [siluMul(tg.g, gate, up, 'y')], TOL.transcendental, `silu_mul [${rows}, ${cols}]`);
    });
  }

  it('large magnitudes: gate in ±100 (exp overflow on the negative side gives −0, not NaN)', async () => {
    const tg = new TestGraph(await getGpu());
    const g = Array.from({ length: 2001 }, (_, i) => -100 + i * 0.1);
    const gate = tg.tensor('gate', [g.length], 'f32', g);
    const up = tg.tensor('up', [g.length], 'f32', g.map((_, i) => 1 + (i % 7) * 0.25));
    await checkGraph(tg, [siluMul(tg.g, gate, up, 'y')], TOL.transcendental, 'silu_mul extremes');
  });
});
