import { describe, it } from 'vitest';
import { addRmsNorm } from '../../runtime/ops/add_rms_norm.js';
import { residual } from '../../runtime/ops/residual.js';
import { rmsNorm } from '../../runtime/ops/rms_norm.js';
import { TestGraph, expectClose, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// degenerate, odd, and the real Qwen2 shapes (decode 1 × 896, prefill rows × 896)
const CASES: [number, number][] = [[1, 1], [3, 7], [5, 33], [17, 129], [2, 1000], [1, 896], [37, 896]];

describe('add_rms_norm', () => {
  for (const [rows, cols] of CASES) {
    it(`[${rows}, ${cols}]: float64 reference, and bit-identical to residual + rms_norm`, async () => {
      const r = rng(rows * 1000 + cols + 7);
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 3));
      const f = tg.tensor('f', [rows, cols], 'f32', r.normal(rows * cols, 2));
      const w = tg.tensor('w', [cols], 'f32', r.uniform(cols, 0.5, 1.5));
      const fused = addRmsNorm(tg.g, x, f, w, 1e-6, 'h', 'y');
      const h0 = residual(tg.g, x, f, undefined, 'h0');
      const y0 = rmsNorm(tg.g, h0, w, 1e-6, 'y0');
      const { got, want } = await tg.run([fused.h, fused.y, h0, y0]);
      const label = `add_rms_norm [${rows}, ${cols}]`;
      expectClose(`${label} h`, got.get(fused.h)!, want.get(fused.h)!, TOL.elementwise);
      expectClose(`${label} y`, got.get(fused.y)!, want.get(fused.y)!, TOL.reduction);
      expectClose(`${label} h vs residual`, got.get(fused.h)!, got.get(h0)!, TOL.exact);
      expectClose(`${label} y vs residual + rms_norm`, got.get(fused.y)!, got.get(y0)!, TOL.exact);
    });
  }
});
