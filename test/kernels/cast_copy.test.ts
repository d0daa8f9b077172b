import { describe, it } from 'vitest';
import { bf16ToF32, copyRows, sliceRows } from '../../runtime/ops/cast_copy.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

describe('bf16_to_f32', () => {
  for (const n of [1, 2, 7, 1024, 1025 * 1024]) {
    it(`${n} elements`, async () => {
      const tg = new TestGraph(await getGpu());
      const x = tg.tensor('x', [n], 'bf16', rng(n).normal(n, 2));
      await checkGraph(tg, [bf16ToF32(tg.g, x, 'y')], TOL.exact, `bf16_to_f32 ${n}`);
    });
  }
});

describe('copy_rows / slice_rows', () => {
  for (const [rows, width, src, dst, count] of [[1, 1, 0, 0, 1], [7, 13, 2, 4, 3], [300, 896, 299, 0, 1], [256, 896, 0, 256, 256]] as const) {
    it(`rows ${src}+${count} of [${rows}, ${width}] → row ${dst}`, async () => {
      const tg = new TestGraph(await getGpu());
      const r = rng(rows + width);
      const x = tg.tensor('x', [rows, width], 'f32', r.normal(rows * width));
      const dstRows = dst + count + 2;
      const state = tg.tensor('state', [dstRows, width], 'f32', r.normal(dstRows * width), 'state');
      copyRows(tg.g, x, src, state, dst, count, 'copy');
      const s = sliceRows(tg.g, x, src, count, 'slice');
      await checkGraph(tg, [s], TOL.exact, 'slice_rows');
      const { readRange } = await import('../../runtime/upload.js');
      const got = new Float32Array(await readRange(tg.gpu, state.storage!));
      const { expectClose } = await import('../harness.js');
      expectClose('copy_rows', got, tg.env.get(state.id)!, TOL.exact);
    });
  }
});
