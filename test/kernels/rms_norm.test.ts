import { describe, it } from 'vitest';
import { rmsNorm } from '../../runtime/ops/rms_norm.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// degenerate, odd, and the real Qwen2 shapes (prefill rows × 896, decode 1 × 896)
const CASES: [number, number][] = [[1, 1], [3, 7], [5, 33], [17, 129], [2, 1000], [1, 896], [37, 896]];

describe('rms_norm', () => {
  for (const [rows, cols] of CASES) {
    it(`[${rows}, ${cols}]`, async () => {
      const r = rng(rows * 1000 + cols);
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 3));
      const w = tg.tensor('w', [cols], 'f32', r.uniform(cols, 0.5, 1.5));
      const y = rmsNorm(tg.g, x, w, 1e-6, 'y');
      await checkGraph(tg, [y], TOL.reduction, `rms_norm [${rows}, ${cols}]`);
    });
  }
});
