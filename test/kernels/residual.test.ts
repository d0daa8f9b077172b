import { describe, it } from 'vitest';
import { residual } from '../../runtime/ops/residual.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// [rows, cols, layer scale?]: degenerate, odd, the real shapes (InternViT tile [1025, 1024] with ls1/ls2;
// Qwen2 prefill [37, 896] without)
const CASES: [number, number, boolean][] = [
  [1, 1, false],
  [1, 1, true],
  [3, 7, true],
  [5, 257, false],
  [1025, 1024, true],
  [37, 896, false],
];

describe('residual', () => {
  for (const [rows, cols, scaled] of CASES) {
    it(`[${rows}, ${cols}]${scaled ? ' with ls' : ''}`, async () => {
      const r = rng(rows * 1000 + cols + (scaled ? 7 : 0));
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 3));
      const f = tg.tensor('f', [rows, cols], 'f32', r.normal(rows * cols, 3));
      const ls = scaled ? tg.tensor('ls', [cols], 'f32', r.uniform(cols, -0.5, 2)) : undefined;
      await checkGraph(tg, [residual(tg.g, x, f, ls, 'y')], TOL.elementwise, `residual [${rows}, ${cols}]`);
    });
  }
});
