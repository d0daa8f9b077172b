import { describe, expect, it } from 'vitest';
import { gelu } from '../../runtime/ops/gelu.js';
import { erf, erfc } from '../../runtime/reference/elementwise.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// degenerate, odd, the real shapes (InternViT fc1 output for one tile [1025, 4096]; projector mlp1.1 output [256, 896])
const CASES: [number, number][] = [[1, 1], [3, 7], [5, 257], [1025, 4096], [256, 896]];

describe('gelu', () => {
  it('reference erf/erfc match published values', () => {
    expect(Math.abs(erf(0.5) - 0.5204998778130465)).toBeLessThan(1e-15);
    expect(Math.abs(erf(-2) + 0.9953222650189527)).toBeLessThan(1e-15);
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfc(10) / 2.088487583762545e-45 - 1)).toBeLessThan(1e-14);
  });

  for (const [rows, cols] of CASES) {
    it(`[${rows}, ${cols}]`, async () => {
      const r = rng(rows * 1000 + cols);
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 3));
      await checkGraph(tg, [gelu(tg.g, x, 'y')], TOL.transcendental, `gelu [${rows}, ${cols}]`);
    });
  }

  it('large magnitudes and the tails: |x| ≤ 10 dense, ±1e30, −∞, ±0', async () => {
    const tg = new TestGraph(await getGpu());
    const dense = Array.from({ length: 20001 }, (_, i) => -10 + i * 1e-3);
    const special = [1e30, -1e30, -Infinity, 0, -0, 16, -16, 16.5, -16.5, 1e-30, -1e-30, 3.4e38, -3.4e38];
    const values = [...dense, ...special];
    const x = tg.tensor('x', [values.length], 'f32', values);
    await checkGraph(tg, [gelu(tg.g, x, 'y')], TOL.transcendental, 'gelu extremes');
  });
});
