import { describe, expect, it } from 'vitest';
import { bf16ToF32 } from '../../runtime/dtype.js';
import { rowChunks } from '../../runtime/graph.js';
import { compilePlan } from '../../runtime/plan.js';
import { checkTokenIds, embedding } from '../../runtime/ops/embedding.js';
import { createTensor, writeTensor } from '../../runtime/upload.js';
import { TestGraph, checkGraph, expectClose, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// [V, H, T]: degenerate, odd (odd H: rows start mid-word), and the Qwen2 hidden size on a small table
const CASES: [number, number, number][] = [[1, 1, 1], [7, 3, 5], [13, 33, 17], [1000, 896, 37]];

/** A cheap deterministic bf16 bit pattern per element: sign and mantissa vary, magnitudes in [0.5, 1). */
const bitsAt = (e: number) => ((Math.imul(e, 0x9e3779b1) >>> 16) & 0x807f) | 0x3f00;

describe('embedding', () => {
  for (const [V, H, T] of CASES) {
    it(`table [${V}, ${H}], ids [${T}]`, async () => {
      const r = rng(V * 100 + H + T);
      const tg = new TestGraph(await getGpu());
      const table = tg.tensor('table', [V, H], 'bf16', r.normal(V * H, 1));
      const ids = Array.from(r.int(T, V));
      ids[0] = V - 1;
      const idsT = tg.tensor('ids', [T], 'u32', ids, 'input');
      await checkGraph(tg, [embedding(tg.g, table, idsT, 'y')], TOL.exact, `embedding [${V}, ${H}]`);
    });
  }

  it('ids ≥ V give zero rows on the GPU; checkTokenIds rejects them on the host', async () => {
    const tg = new TestGraph(await getGpu());
    const table = tg.tensor('table', [5, 4], 'bf16', rng(1).normal(20, 1));
    const ids = tg.tensor('ids', [4], 'u32', [4, 5, 0, 0xffffffff], 'input');
    await checkGraph(tg, [embedding(tg.g, table, ids, 'y')], TOL.exact, 'embedding out of range');
    expect(() => checkTokenIds([1, 5], 5)).toThrow(/token id 5 at position 1/);
    expect(() => checkTokenIds([0, 4], 5)).not.toThrow();
  });

  it('real embed_tokens [151655, 896] bf16 (272 MB, bound in row chunks)', async () => {
    const [V, H] = [151655, 896];
    const gpu = await getGpu();
    const tg = new TestGraph(gpu);
    const table = createTensor(gpu, 'embed_tokens', [V, H], 'bf16', 'weight');
    const words = new Uint32Array(Math.ceil((V * H) / 2));
    for (let w = 0; w < words.length; w++) words[w] = (bitsAt(2 * w) | (bitsAt(2 * w + 1) << 16)) >>> 0;
    writeTensor(gpu, table, words);
    const chunks = rowChunks(tg.g.limits, table);
    // the first and last row of every chunk, IMG_CONTEXT (151648), a few random ids, and one id past the end
    const ids = [...chunks.flatMap((c) => [c.rowStart, c.rowStart + c.rows - 1]), 151648, ...rng(5).int(9, V), V];
    const idsT = createTensor(gpu, 'ids', [ids.length], 'u32', 'input');
    writeTensor(gpu, idsT, Uint32Array.from(ids));
    const y = embedding(tg.g, table, idsT, 'y');
    expect(tg.g.nodes[0]!.dispatches.length).toBe(chunks.length);
    const plan = compilePlan(gpu, tg.g, { keep: [y], poison: true, label: 'embedding-real' });
    const got = new Float32Array((await plan.run({ read: [y] })).get('y')!);
    plan.destroy();
    table.storage!.buffer.destroy();
    const want = new Float64Array(ids.length * H);
    ids.forEach((id, t) => {
      if (id < V) for (let c = 0; c < H; c++) want[t * H + c] = bf16ToF32(bitsAt(id * H + c));
    });
    expectClose(`embedding real (${chunks.length} chunks)`, got, want, TOL.exact);
  });
});
