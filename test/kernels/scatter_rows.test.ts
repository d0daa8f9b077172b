import { describe, expect, it } from 'vitest';
import { checkScatterRows, scatterRows } from '../../runtime/ops/scatter_rows.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

/** n distinct rows of [0, tokens) in increasing order (as IMG_CONTEXT positions are). */
function pickRows(r: ReturnType<typeof rng>, tokens: number, n: number): number[] {
  const all = Array.from({ length: tokens }, (_, i) => i);
  for (let i = tokens - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n).sort((a, b) => a - b);
}

// [T, H, N, contiguous image block?]: degenerate, odd, none replaced, all replaced, and the real prompt of one
// image (256 IMG_CONTEXT rows between <img> … </img> in a 300-token prompt, H 896)
const CASES: [number, number, number, boolean][] = [
  [1, 1, 1, false],
  [7, 3, 0, false],
  [13, 5, 13, false],
  [37, 33, 11, false],
  [300, 896, 256, true],
];

describe('scatter_rows', () => {
  for (const [T, H, N, block] of CASES) {
    it(`x [${T}, ${H}], ${N} rows`, async () => {
      const r = rng(T * 1000 + H + N);
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [T, H], 'f32', r.normal(T * H, 1));
      const src = tg.tensor('src', [N, H], 'f32', r.normal(N * H, 1));
      const list = block ? Array.from({ length: N }, (_, i) => 20 + i) : pickRows(r, T, N);
      const rows = tg.tensor('rows', [N], 'u32', list, 'input');
      await checkGraph(tg, [scatterRows(tg.g, x, src, rows, 'y')], TOL.exact, `scatter_rows [${T}, ${H}] N ${N}`);
    });
  }

  it('rows ≥ T are skipped on the GPU; checkScatterRows rejects them and repeats on the host', async () => {
    const tg = new TestGraph(await getGpu());
    const x = tg.tensor('x', [4, 3], 'f32', rng(3).normal(12, 1));
    const src = tg.tensor('src', [2, 3], 'f32', rng(4).normal(6, 1));
    const rows = tg.tensor('rows', [2], 'u32', [1, 9], 'input');
    await checkGraph(tg, [scatterRows(tg.g, x, src, rows, 'y')], TOL.exact, 'scatter_rows out of range');
    expect(() => checkScatterRows([1, 4], 4)).toThrow(/row 4 at index 1/);
    expect(() => checkScatterRows([1, 1], 4)).toThrow(/listed twice/);
    expect(() => checkScatterRows([0, 3], 4)).not.toThrow();
  });
});
