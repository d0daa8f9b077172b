import { describe, expect, it } from 'vitest';
import type { VariantOf } from '../../runtime/device_profile.js';
import { attention } from '../../runtime/ops/attention.js';
import { attentionDecode } from '../../runtime/ops/attention_decode.js';
import { roundToF16 } from '../../runtime/dtype.js';
import { type KvDtype, type KvPool, kvAppend, slotsFor } from '../../runtime/ops/kv_cache.js';
import { TestGraph, checkGraph, expectClose, getGpu, rng } from '../harness.js';
import { blockTables, shuffled } from '../paged_blocks.js';
import { TOL } from '../tolerances.js';

function pool(tg: TestGraph, numBlocks: number, blockSize: number, kvHeads: number, dh: number, fill: (n: number) => ArrayLike<number>, dtype: KvDtype = 'f32'): KvPool {
  const shape = [numBlocks, blockSize, kvHeads, dh];
  const n = numBlocks * blockSize * kvHeads * dh;
  return { k: tg.tensor('k_cache', shape, dtype, fill(n), 'state'), v: tg.tensor('v_cache', shape, dtype, fill(n), 'state') };
}

describe('kv_append', () => {
  for (const [T, fused, dtype] of [[1, false, 'f32'], [5, true, 'f32'], [37, false, 'f32'], [1, true, 'f16'], [37, false, 'f16']] as const) {
    it(`${T} rows into a 12 × 4 pool, 2 kv heads × 16, ${fused ? 'fused qkv view' : 'separate k/v'}, ${dtype}`, async () => {
      const r = rng(T);
      const tg = new TestGraph(await getGpu());
      const [numBlocks, blockSize, kvHeads, dh] = [12, 4, 2, 16];
      // an f16 pool: the reference rounds the appended f32 values to nearest even, exactly
      const p = pool(tg, numBlocks, blockSize, kvHeads, dh, (n) => r.normal(n), dtype);
      const slots = tg.tensor('slots', [T], 'u32', shuffled(numBlocks * blockSize, r).slice(0, T), 'input');
      const w = kvHeads * dh;
      if (fused) {
        const stride = 3 * w + 4;
        const qkv = tg.tensor('qkv', [T, stride], 'f32', r.normal(T * stride));
        kvAppend(tg.g, p, { tensor: qkv, offset: w, stride }, { tensor: qkv, offset: 2 * w + 4, stride }, slots, 'append');
      } else {
        kvAppend(tg.g, p, tg.tensor('k', [T, w], 'f32', r.normal(T * w)), tg.tensor('v', [T, w], 'f32', r.normal(T * w)), slots, 'append');
      }
      await checkGraph(tg, [p.k, p.v], TOL.exact, `kv_append T ${T} ${dtype}`);
    });
  }
  it('f16 pool: ties round to even, subnormals and the largest finite f16 kept (pack2x16float as numpy astype(float16))', async () => {
    const tg = new TestGraph(await getGpu());
    const [blockSize, kvHeads, dh] = [2, 1, 8];
    // halfway between neighbours: 1 + 2^-11 → 1 (even), 1 + 3·2^-11 → 1 + 2^-9, −(2 − 2^-11) → −2 (even, a carry into
    // the exponent); f16 subnormals (2^-24 steps) and their ties; 65504 (max) and 65519 (rounds to it); −0; exact values
    const ties = [1 + 2 ** -11, 1 + 3 * 2 ** -11, -(2 - 2 ** -11), 3 * 2 ** -25, 5 * 2 ** -25, 2 ** -24 * 0.75, 65504, 65519];
    const other = [-0, 0.1, -0.3333333, 1e-7, 7.62939453125e-6, 2048 + 1, 4097, -65504];
    const want = [1, 1 + 2 ** -9, -2, 2 ** -23, 2 ** -23, 2 ** -24, 65504, 65504]; // 1.5 and 2.5 steps of 2^-24 both → 2
    expect(ties.map(roundToF16)).toEqual(want); // the reference's own rounding, checked by hand first
    const p = pool(tg, 2, blockSize, kvHeads, dh, (n) => new Float64Array(n).fill(7), 'f16'); // slots 1, 2 stay 7
    const k = tg.tensor('k', [2, dh], 'f32', [...ties, ...other]);
    const v = tg.tensor('v', [2, dh], 'f32', [...other, ...ties].map((x) => -x));
    kvAppend(tg.g, p, k, v, tg.tensor('slots', [2], 'u32', [3, 0], 'input'), 'append');
    const { got, want: ref } = await tg.run([p.k, p.v]);
    expectClose('f16 k_cache', got.get(p.k)!, ref.get(p.k)!, TOL.exact);
    expectClose('f16 v_cache', got.get(p.v)!, ref.get(p.v)!, TOL.exact);
    expect(Array.from(got.get(p.k)!.subarray(3 * dh, 3 * dh + 8))).toEqual(want);
    expect(Object.is(got.get(p.k)![0], -0)).toBe(true);
  });
});

interface DecodeCase {
  readonly lens: readonly number[];
  readonly heads: number;
  readonly kvHeads: number;
  readonly dh: number;
  readonly blockSize: number;
  readonly splits?: number;
  readonly headsPerThread?: number;
  readonly variant?: VariantOf<'attention_decode'>;
  readonly workgroupSize?: number;
  /** Context the graph is recorded for (default: the longest length); longer leaves splits past every length. */
  readonly maxContext?: number;
  /** Read q as a column window of a wider matrix (as the model reads it out of the fused qkv). */
  readonly qView?: boolean;
  /** Pools of f16 (default f32). */
  readonly kv?: KvDtype;
}

const decodeLabel = (c: DecodeCase) =>
  `lens [${c.lens.length > 8 ? `${c.lens.length} mixed` : c.lens.join(', ')}], ${c.heads}/${c.kvHeads} heads × ${c.dh}, block ${c.blockSize}, splits ${c.splits ?? 'auto'}` +
  `${c.maxContext ? `, maxContext ${c.maxContext}` : ''}${c.headsPerThread ? `, ${c.headsPerThread} heads/thread` : ''}${c.workgroupSize ? `, workgroup ${c.workgroupSize}` : ''}${c.qView ? ', q view' : ''}${c.kv ? `, ${c.kv} pools` : ''}`;

/** Runs the case against the float64 reference (outputs poisoned); returns the kernel that ran first. */
async function runDecode(c: DecodeCase, seed: number): Promise<string> {
  const r = rng(seed);
  const tg = new TestGraph(await getGpu());
  const B = c.lens.length;
  const maxContext = c.maxContext ?? Math.max(...c.lens);
  const maxBlocks = Math.ceil(maxContext / c.blockSize) + 1;
  const numBlocks = c.lens.reduce((n, l) => n + Math.ceil(l / c.blockSize), 0) + 3;
  const tables = blockTables(c.lens, c.blockSize, maxBlocks, numBlocks, r);
  // pool rows no sequence owns hold NaN: a kernel that reads past a length or into an unused block fails
  const rowOf = (b: number, j: number) => tables[b]![Math.floor(j / c.blockSize)]! * c.blockSize + (j % c.blockSize);
  const owned = new Set(c.lens.flatMap((len, b) => Array.from({ length: len }, (_, j) => rowOf(b, j))));
  const rowSize = c.kvHeads * c.dh;
  const p = pool(tg, numBlocks, c.blockSize, c.kvHeads, c.dh, (n) => r.normal(n, 1.5).map((x, i) => (owned.has(Math.floor(i / rowSize)) ? x : NaN)), c.kv);
  const bt = tg.tensor('block_tables', [B, maxBlocks], 'u32', tables.flat(), 'input');
  const sl = tg.tensor('seq_lens', [B], 'u32', c.lens, 'input');
  const width = c.heads * c.dh;
  const stride = c.qView ? width + 12 : width;
  const qt = tg.tensor('q', [B, stride], 'f32', r.normal(B * stride, 1.5));
  const q = c.qView ? { tensor: qt, offset: 8, stride } : qt;
  const { splits, headsPerThread, variant, workgroupSize } = c;
  const out = attentionDecode(tg.g, q, p, bt, sl, { heads: c.heads, scale: c.dh ** -0.5, maxContext, splits, headsPerThread, variant, workgroupSize }, 'out');
  await checkGraph(tg, [out], TOL.attention, `attention_decode ${variant ?? 'default'} ${decodeLabel(c)}`);
  return tg.g.nodes.at(-1)!.dispatches[0]!.kernel.name;
}

const DECODE: DecodeCase[] = [
  { lens: [1], heads: 4, kvHeads: 4, dh: 16, blockSize: 4 },
  { lens: [2, 7, 1], heads: 14, kvHeads: 2, dh: 16, blockSize: 4, splits: 1 },
  { lens: [2, 7, 1], heads: 14, kvHeads: 2, dh: 16, blockSize: 4, splits: 2 },
  { lens: [33, 65, 5], heads: 6, kvHeads: 2, dh: 16, blockSize: 8, splits: 5 },
  { lens: [33, 65, 5], heads: 6, kvHeads: 2, dh: 16, blockSize: 8, splits: 3, headsPerThread: 2 },
  { lens: [33, 65, 5], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 2, headsPerThread: 3 },
  { lens: [13, 40], heads: 4, kvHeads: 1, dh: 64, blockSize: 4, splits: 1, headsPerThread: 1 },
  // head dims 96 (Phi-3) and 128 (InternLM2); the cooperative variant's cases below have both too
  { lens: [9, 70], heads: 6, kvHeads: 2, dh: 96, blockSize: 16, splits: 2 },
  { lens: [33, 3], heads: 4, kvHeads: 1, dh: 128, blockSize: 16, splits: 1 },
  // real: Qwen2 decode, 3 sequences sharing the pool, blockSize 16, shuffled block tables, split-K off and on
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 1 },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 4 },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16 },
  // f16 pools: a word holds two vec4 columns (Dh 8: one word per head row), head blocks, Dh 96 and 128
  { lens: [2, 7, 1], heads: 6, kvHeads: 2, dh: 8, blockSize: 4, splits: 2, kv: 'f16' },
  { lens: [33, 65, 5], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 2, headsPerThread: 3, kv: 'f16' },
  { lens: [13, 40], heads: 4, kvHeads: 1, dh: 64, blockSize: 4, splits: 1, headsPerThread: 1, kv: 'f16' },
  { lens: [9, 70], heads: 6, kvHeads: 2, dh: 96, blockSize: 16, splits: 2, kv: 'f16' },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, kv: 'f16' },
];

describe('attention_decode (paged)', () => {
  DECODE.forEach((c, i) => it(decodeLabel(c), () => runDecode(c, 500 + i)));
});

// lengths 1..200: block and 64-key split boundaries ± 1 and primes
const MIXED_32 = [1, 2, 15, 16, 17, 31, 63, 64, 65, 97, 127, 128, 129, 150, 200, 3, 5, 7, 11, 13, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83];

const COOPERATIVE: DecodeCase[] = [
  { lens: [1], heads: 4, kvHeads: 4, dh: 16, blockSize: 4 },
  { lens: [15], heads: 6, kvHeads: 2, dh: 16, blockSize: 4 },
  { lens: [17, 1, 15], heads: 6, kvHeads: 2, dh: 16, blockSize: 8, splits: 1, qView: true },
  // 2 splits of 40 keys; the second is empty for 3 of the 4 sequences
  { lens: [31, 67, 2, 13], heads: 6, kvHeads: 2, dh: 16, blockSize: 8 },
  // 4 splits of 64 keys, most of them past every length (the model records maxContext 4096), and a length 0
  { lens: [5, 70, 0], heads: 6, kvHeads: 2, dh: 16, blockSize: 8, maxContext: 256 },
  { lens: [0, 23], heads: 6, kvHeads: 2, dh: 16, blockSize: 8, splits: 1 },
  // one split of 5 tiles (online rescaling across tiles); then 3 splits of 7 tiles of 16 keys, 2 key slices
  { lens: [300, 41], heads: 8, kvHeads: 2, dh: 32, blockSize: 16, splits: 1 },
  { lens: [300, 41], heads: 4, kvHeads: 1, dh: 32, blockSize: 16, splits: 3, workgroupSize: 16 },
  // Dh/4 = 5 columns × 12 key slices, 20 max reducers per head, a workgroup that is no power of two
  { lens: [37, 101], heads: 9, kvHeads: 3, dh: 20, blockSize: 8, workgroupSize: 60 },
  { lens: [77], heads: 4, kvHeads: 2, dh: 128, blockSize: 16 },
  { lens: [77, 5], heads: 6, kvHeads: 2, dh: 96, blockSize: 16 },
  { lens: MIXED_32, heads: 6, kvHeads: 2, dh: 16, blockSize: 8 },
  // real: Qwen2 decode (14/2 heads × 64, block 16), batch 3 split and not, batch 32 with mixed lengths
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16 },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 1 },
  { lens: MIXED_32.map((l, i) => l + 3 * i), heads: 14, kvHeads: 2, dh: 64, blockSize: 16, maxContext: 512 },
  // f16 pools: V columns two per word (dv odd reads the high half), several tiles, Dh 96 and 128
  { lens: [31, 67, 2, 13], heads: 6, kvHeads: 2, dh: 16, blockSize: 8, kv: 'f16' },
  { lens: [300, 41], heads: 4, kvHeads: 1, dh: 32, blockSize: 16, splits: 3, workgroupSize: 16, kv: 'f16' },
  { lens: [77, 5], heads: 6, kvHeads: 2, dh: 96, blockSize: 16, kv: 'f16' },
  { lens: [77], heads: 4, kvHeads: 2, dh: 128, blockSize: 16, kv: 'f16' },
  { lens: MIXED_32.map((l, i) => l + 3 * i), heads: 14, kvHeads: 2, dh: 64, blockSize: 16, maxContext: 512, kv: 'f16' },
];

describe('attention_decode cooperative (paged, variant forced)', () => {
  COOPERATIVE.forEach((c, i) =>
    it(decodeLabel(c), async () => expect(await runDecode({ ...c, variant: 'cooperative' }, 900 + i)).toBe('attention_decode_coop')),
  );
  it('a group of more than 8 query heads falls back to heads_per_thread', async () => {
    expect(await runDecode({ lens: [9, 20], heads: 10, kvHeads: 1, dh: 16, blockSize: 4, variant: 'cooperative' }, 950)).toBe('attention_decode');
  });
});

describe('kv_append → attention_decode == causal prefill', () => {
  const runs = [['heads_per_thread', 1, 'f32'], ['heads_per_thread', 3, 'f32'], ['cooperative', 1, 'f32'], ['cooperative', 3, 'f32'], ['heads_per_thread', 3, 'f16'], ['cooperative', 3, 'f16']] as const;
  for (const [variant, splits, kv] of runs) {
    it(`3 sequences of 5, 16, 41 tokens, 14/2 heads × 64, block 16, splits ${splits}, ${variant}, ${kv} pools`, async () => {
      const r = rng(77 + splits);
      const tg = new TestGraph(await getGpu());
      const [heads, kvHeads, dh, blockSize] = [14, 2, 64, 16];
      const lens = [5, 16, 41];
      const maxContext = Math.max(...lens);
      const maxBlocks = Math.ceil(maxContext / blockSize);
      const numBlocks = lens.reduce((n, l) => n + Math.ceil(l / blockSize), 0) + 2;
      // a NaN-filled pool: reading any slot that kv_append did not write poisons the result
      const p = pool(tg, numBlocks, blockSize, kvHeads, dh, (n) => new Float64Array(n).fill(NaN), kv);
      // prefill attends to keys and values as an f16 pool holds them (rope_append hands it those): f16 values here
      const kvValues = (n: number) => (kv === 'f16' ? r.normal(n).map(roundToF16) : r.normal(n));
      const tables = blockTables(lens, blockSize, maxBlocks, numBlocks, r);
      const scale = dh ** -0.5;
      const prefill = [];
      const qLast: number[] = [];
      for (const [b, len] of lens.entries()) {
        const qv = r.normal(len * heads * dh);
        const q = tg.tensor(`q${b}`, [len, heads * dh], 'f32', qv);
        const k = tg.tensor(`k${b}`, [len, kvHeads * dh], 'f32', kvValues(len * kvHeads * dh));
        const v = tg.tensor(`v${b}`, [len, kvHeads * dh], 'f32', kvValues(len * kvHeads * dh));
        const slots = tg.tensor(`slots${b}`, [len], 'u32', slotsFor(tables[b]!, blockSize, 0, len), 'input');
        kvAppend(tg.g, p, k, v, slots, `append${b}`);
        prefill.push(attention(tg.g, q, k, v, { heads, kvHeads, headDim: dh, causal: true, scale }, `prefill${b}`));
        qLast.push(...Array.from(qv.subarray((len - 1) * heads * dh)).map(Math.fround));
      }
      const bt = tg.tensor('block_tables', [lens.length, maxBlocks], 'u32', tables.flat(), 'input');
      const sl = tg.tensor('seq_lens', [lens.length], 'u32', lens, 'input');
      const qd = tg.tensor('q_decode', [lens.length, heads * dh], 'f32', qLast);
      const out = attentionDecode(tg.g, qd, p, bt, sl, { heads, scale, maxContext, splits, variant }, 'decode');
      const { got, want } = await tg.run([out, ...prefill]);
      const dec = got.get(out)!;
      const row = heads * dh;
      for (const [b, len] of lens.entries()) {
        const pre = got.get(prefill[b]!)!.subarray((len - 1) * row, len * row);
        expectClose(`decode row ${b} vs prefill last row (len ${len})`, dec.subarray(b * row, (b + 1) * row), pre, TOL.attention);
        expectClose(`prefill${b} vs reference`, got.get(prefill[b]!)!, want.get(prefill[b]!)!, TOL.attention);
      }
      expectClose('decode vs reference', dec, want.get(out)!, TOL.attention);
      expect(dec.every(Number.isFinite)).toBe(true);
    });
  }
});
