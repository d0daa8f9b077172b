import { describe, it } from 'vitest';
import { layerNorm } from '../../runtime/ops/layer_norm.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// [rows, cols, eps, offset]: degenerate, odd (primes, non-multiples of WG), a large common offset (two-pass
// accuracy), and the real shapes: InternViT norm1/norm2 over one tile (1025 × 1024, eps 1e-6) and the
// projector mlp1.0 over one tile's shuffled tokens (256 × 4096, eps 1e-5).
const CASES: [number, number, number, number][] = [
  [1, 1, 1e-6, 0],
  [3, 7, 1e-6, 0],
  [5, 257, 1e-5, 0],
  [17, 1000, 1e-6, 0],
  [7, 1024, 1e-6, 300],
  [1025, 1024, 1e-6, 0],
  [256, 4096, 1e-5, 0],
];

describe('layer_norm', () => {
  for (const [rows, cols, eps, offset] of CASES) {
    it(`[${rows}, ${cols}] eps ${eps}${offset ? ` offset ${offset}` : ''}`, async () => {
      const r = rng(rows * 1000 + cols);
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 2).map((v) => v + offset));
      const w = tg.tensor('w', [cols], 'f32', r.uniform(cols, 0.5, 1.5));
      const b = tg.tensor('b', [cols], 'f32', r.uniform(cols, -0.5, 0.5));
      const y = layerNorm(tg.g, x, w, b, eps, 'y');
      await checkGraph(tg, [y], TOL.reduction, `layer_norm [${rows}, ${cols}]`);
    });
  }
});
