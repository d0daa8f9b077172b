import { describe, expect, it } from 'vitest';
import { pixelShuffle } from '../../runtime/ops/pixel_shuffle.js';
import { pixelShuffleSource } from '../../runtime/reference/data.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// [B, G, C]: degenerate (2×2 grid, 1 channel), odd (prime channel counts), and the real InternViT output for one
// tile ([1, 1025, 1024] → [1, 256, 4096]) and two tiles with the 2-D layout the model passes.
const CASES: [number, number, number, 2 | 3][] = [[1, 2, 1, 3], [2, 6, 5, 2], [3, 4, 7, 3], [1, 32, 1024, 3], [2, 32, 1024, 2]];

describe('pixel_shuffle', () => {
  it('the replayed view/permute sequence equals the closed formula (SPEC §4)', () => {
    for (const [B, G, C] of [[1, 2, 1], [2, 6, 3], [1, 32, 4], [2, 8, 5]] as const) {
      const src = pixelShuffleSource(B, G, C);
      const h = G / 2;
      expect(src.length).toBe(B * h * h * 4 * C);
      for (let b = 0, o = 0; b < B; b++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < h; j++)
            for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]])
              for (let c = 0; c < C; c++, o++) {
                const want = (b * (1 + G * G) + 1 + (2 * i + dy!) * G + (2 * j + dx!)) * C + c;
                if (src[o] !== want) throw new Error(`B ${B} G ${G} C ${C}: output ${o} reads ${src[o]}, formula says ${want}`);
              }
    }
  });

  for (const [B, G, C, rank] of CASES) {
    it(`x [${B}, 1 + ${G}², ${C}] (${rank}-D)`, async () => {
      const tg = new TestGraph(await getGpu());
      const n = B * (1 + G * G) * C;
      const x = tg.tensor('x', rank === 3 ? [B, 1 + G * G, C] : [B * (1 + G * G), C], 'f32', rng(B * 100 + G + C).normal(n, 1));
      const y = pixelShuffle(tg.g, x, B, G, 'y');
      expect(y.shape).toEqual(rank === 3 ? [B, (G / 2) ** 2, 4 * C] : [B * (G / 2) ** 2, 4 * C]);
      await checkGraph(tg, [y], TOL.exact, `pixel_shuffle [${B}, ${G}, ${C}]`);
    });
  }
});
