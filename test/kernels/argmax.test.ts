import { describe, it } from 'vitest';
import { argmax } from '../../runtime/ops/argmax.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

const V = 151655; // Qwen2 vocabulary of InternVL2-1B

// [B, V]: degenerate, odd (one partial chunk, several chunks with a ragged tail), and the real lm_head output
const CASES: [number, number][] = [[1, 1], [3, 7], [2, 4097], [1, V], [4, V]];

describe('argmax', () => {
  for (const [B, n] of CASES) {
    it(`logits [${B}, ${n}]`, async () => {
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('logits', [B, n], 'f32', rng(B * 7 + n).normal(B * n, 4));
      await checkGraph(tg, [argmax(tg.g, x, 'next')], TOL.exact, `argmax [${B}, ${n}]`);
    });
  }

  it('ties pick the first index (within and across chunks), −0 == +0, −∞ rows, NaN wins', async () => {
    const tg = new TestGraph(await getGpu());
    const rows: number[][] = [];
    const row = (f: (v: number) => number) => rows.push(Array.from({ length: 9000 }, (_, v) => f(v)));
    row((v) => (v === 5000 || v === 8999 || v === 300 ? 7 : -1)); // tie across chunks → 300
    row((v) => (v === 4097 || v === 4098 ? 2 : 1)); // tie inside one chunk → 4097
    row((v) => (v === 10 ? -0 : v === 20 ? 0 : -5)); // −0 and +0 tie → 10
    row(() => -Infinity); // all −∞ → 0
    row((v) => (v === 6000 || v === 7000 ? NaN : v === 100 ? Infinity : 0)); // first NaN → 6000
    row((v) => (v === 8999 ? -1e-30 : -1)); // last element
    const x = tg.tensor('logits', [rows.length, 9000], 'f32', rows.flat());
    await checkGraph(tg, [argmax(tg.g, x, 'next')], TOL.exact, 'argmax ties and specials');
  });
});
