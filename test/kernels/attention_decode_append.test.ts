// attention_decode with rope_append fused in (`append`): every kernel variant against the float64 composition
// rope → kv_append → attention_decode (output and both whole pools), and N decode steps of the fused op against N
// steps of rope_append + attention_decode on the GPU.
import { describe, expect, it } from 'vitest';
import type { VariantOf } from '../../runtime/device_profile.js';
import type { AttentionInput } from '../../runtime/ops/attention.js';
import { attentionDecode } from '../../runtime/ops/attention_decode.js';
import { type KvDtype, type KvPool, slotsFor } from '../../runtime/ops/kv_cache.js';
import { ropeAppend } from '../../runtime/ops/rope_append.js';
import { ropeInvFreq } from '../../runtime/reference/elementwise.js';
import type { Tensor } from '../../runtime/tensor.js';
import { TestGraph, expectClose, getGpu, rng } from '../harness.js';
import { blockTables } from '../paged_blocks.js';
import { TOL, type Tolerance } from '../tolerances.js';

type Rng = ReturnType<typeof rng>;

/**
 * The pools hold NaN in every row that is not one of the `cached` positions of a sequence (the new token's row
 * included): a kernel that reads the new key from the cache, or past a length, fails. So the pools must come back
 * NaN exactly where the reference leaves them NaN, and within `tol` elsewhere.
 */
function expectPool(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): void {
  const g: number[] = [], w: number[] = [];
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]!)) {
      if (!Number.isNaN(got[i]!)) throw new Error(`${label}: element ${i} of an unwritten row was written (${got[i]})`);
    } else {
      g.push(got[i]!);
      w.push(want[i]!);
    }
  }
  expectClose(label, g, w, tol);
}

interface Setup {
  readonly tg: TestGraph;
  readonly tables: number[][];
  readonly maxBlocks: number;
  readonly bt: Tensor;
  readonly invFreq: Tensor;
  /** Pools whose rows hold random keys/values at positions < cached[b] of sequence b and NaN elsewhere. */
  readonly pool: (tag: string) => KvPool;
}

interface Shape {
  readonly heads: number;
  readonly kvHeads: number;
  readonly dh: number;
  readonly blockSize: number;
  /** Pools of f16 (default f32). */
  readonly kv?: KvDtype;
}

async function setup(s: Shape, cached: readonly number[], capacity: readonly number[], maxContext: number, r: Rng): Promise<Setup> {
  const tg = new TestGraph(await getGpu());
  const maxBlocks = Math.ceil(maxContext / s.blockSize) + 1;
  const numBlocks = capacity.reduce((n, l) => n + Math.ceil(l / s.blockSize), 0) + 3;
  const tables = blockTables(capacity, s.blockSize, maxBlocks, numBlocks, r);
  const rowOf = (b: number, j: number) => tables[b]![Math.floor(j / s.blockSize)]! * s.blockSize + (j % s.blockSize);
  const owned = new Set(cached.flatMap((len, b) => Array.from({ length: len }, (_, j) => rowOf(b, j))));
  const rowSize = s.kvHeads * s.dh;
  const n = numBlocks * s.blockSize * rowSize;
  const init = [r.normal(n, 1.5), r.normal(n, 1.5)].map((x) => x.map((v, i) => (owned.has(Math.floor(i / rowSize)) ? v : NaN)));
  const shape = [numBlocks, s.blockSize, s.kvHeads, s.dh];
  return {
    tg,
    tables,
    maxBlocks,
    bt: tg.tensor('block_tables', [capacity.length, maxBlocks], 'u32', tables.flat(), 'input'),
    invFreq: tg.tensor('inv_freq', [s.dh / 2], 'f32', ropeInvFreq(s.dh, 1e6)),
    pool: (tag) => ({ k: tg.tensor(`${tag}.k_cache`, shape, s.kv ?? 'f32', init[0]!, 'state'), v: tg.tensor(`${tag}.v_cache`, shape, s.kv ?? 'f32', init[1]!, 'state') }),
  };
}

/**
 * The new tokens' q, k, v: column windows of one fused qkv [B, Hq·Dh + 2·Hkv·Dh + 4] (v after a 4-column gap), as
 * the model reads them, or three contiguous tensors.
 */
function newTokens(tg: TestGraph, s: Shape, B: number, r: Rng, name: string, separate = false): { q: AttentionInput; k: AttentionInput; v: AttentionInput } {
  const [qw, kw] = [s.heads * s.dh, s.kvHeads * s.dh];
  if (separate) {
    const t = (tag: string, w: number) => tg.tensor(`${name}.${tag}`, [B, w], 'f32', r.normal(B * w, 1.5));
    return { q: t('q', qw), k: t('k', kw), v: t('v', kw) };
  }
  const stride = qw + 2 * kw + 4;
  const qkv = tg.tensor(name, [B, stride], 'f32', r.normal(B * stride, 1.5));
  return { q: { tensor: qkv, offset: 0, stride }, k: { tensor: qkv, offset: qw, stride }, v: { tensor: qkv, offset: qw + kw + 4, stride } };
}

interface AppendCase extends Shape {
  /** Lengths after the append: the cache holds len − 1 tokens, the new one goes to position len − 1. */
  readonly lens: readonly number[];
  readonly splits?: number;
  readonly maxContext?: number;
  readonly headsPerThread?: number;
  readonly workgroupSize?: number;
  /** q, k, v as separate contiguous tensors instead of views of one qkv. */
  readonly separate?: boolean;
  /** LongRoPE: two inv_freq tables (short, long factors), the long one for positions ≥ longFrom. */
  readonly longFrom?: number;
}

/** Phi-3-like LongRoPE tables at θ = 1e4: short factors 1…2.5, long ones 1…64 — far apart, so a wrong pick shows. */
function longRopeTables(dh: number): number[] {
  const half = dh / 2;
  const ramp = (top: number) => Array.from({ length: half }, (_, i) => 1 + (top - 1) * (i / (half - 1)) ** 2);
  return [...ropeInvFreq(dh, 1e4, ramp(2.5)), ...ropeInvFreq(dh, 1e4, ramp(64))];
}

const label = (c: AppendCase) =>
  `lens [${c.lens.length > 8 ? `${c.lens.length} mixed` : c.lens.join(', ')}], ${c.heads}/${c.kvHeads} heads × ${c.dh}, block ${c.blockSize}, splits ${c.splits ?? 'auto'}` +
  `${c.maxContext ? `, maxContext ${c.maxContext}` : ''}${c.headsPerThread ? `, ${c.headsPerThread} heads/thread` : ''}${c.workgroupSize ? `, workgroup ${c.workgroupSize}` : ''}` +
  `${c.separate ? ', separate q/k/v' : ', qkv views'}${c.kv ? `, ${c.kv} pools` : ''}${c.longFrom !== undefined ? `, LongRoPE from position ${c.longFrom}` : ''}`;

/** One fused step against the float64 composition; returns the kernel that ran. */
async function runAppend(c: AppendCase, variant: VariantOf<'attention_decode'>, seed: number): Promise<string> {
  const r = rng(seed);
  const B = c.lens.length;
  const maxContext = c.maxContext ?? Math.max(...c.lens);
  const { tg, bt, invFreq: oneTable, pool } = await setup(c, c.lens.map((l) => l - 1), c.lens, maxContext, r);
  const invFreq = c.longFrom === undefined ? oneTable : tg.tensor('inv_freq_both', [2, c.dh / 2], 'f32', longRopeTables(c.dh));
  const p = pool('pool');
  const sl = tg.tensor('seq_lens', [B], 'u32', c.lens, 'input');
  const { q, k, v } = newTokens(tg, c, B, r, 'qkv', c.separate);
  const { splits, headsPerThread, workgroupSize } = c;
  const append = { k, v, invFreq, ...(c.longFrom !== undefined && { longFrom: c.longFrom }) };
  const opts = { heads: c.heads, scale: c.dh ** -0.5, maxContext, splits, headsPerThread, workgroupSize, variant, append };
  const out = attentionDecode(tg.g, q, p, bt, sl, opts, 'out');
  const { got, want } = await tg.run([out, p.k, p.v]);
  const what = `attention_decode append ${variant} ${label(c)}`;
  expectClose(`${what} out`, got.get(out)!, want.get(out)!, TOL.attention);
  expectPool(`${what} k_cache`, got.get(p.k)!, want.get(p.k)!, c.kv === 'f16' ? TOL.f16Stored : TOL.rope);
  expectPool(`${what} v_cache`, got.get(p.v)!, want.get(p.v)!, TOL.exact);
  return tg.g.nodes.at(-1)!.dispatches[0]!.kernel.name;
}

// lengths 1..300 with block (16) and 64-key tile boundaries ± 1 and primes
const MIXED_32 = [1, 2, 15, 16, 17, 31, 63, 64, 65, 97, 127, 128, 129, 150, 300, 3, 5, 7, 11, 13, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83];

const CASES: AppendCase[] = [
  { lens: [1], heads: 4, kvHeads: 4, dh: 16, blockSize: 4, separate: true },
  { lens: [2, 17, 1], heads: 6, kvHeads: 2, dh: 16, blockSize: 4, splits: 1 },
  // chunks of 8 keys: the new key is in split 0, 2 and 0
  { lens: [2, 17, 1], heads: 6, kvHeads: 2, dh: 16, blockSize: 4, splits: 3 },
  // splits past every length (the model records its maxContext), new keys at block starts and ends
  // Dh 24: rotation pairs (d, d + 3) of vec4 columns; workgroup 48 = 8 key slices of Dh/4 = 6 columns (cooperative)
  { lens: [13, 33, 8, 41], heads: 6, kvHeads: 2, dh: 24, blockSize: 8, maxContext: 200, workgroupSize: 48, separate: true },
  // real: Qwen2 decode (14/2 heads × 64, block 16), batch 1 and 3, split-K off and on, batch 32 of mixed lengths
  { lens: [300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 1 },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 1 },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16 },
  { lens: MIXED_32, heads: 14, kvHeads: 2, dh: 64, blockSize: 16, maxContext: 512 },
  // Phi-3's head dim 96 (cooperative: a workgroup of 72, 3 slices of 24 columns)
  { lens: [1, 40], heads: 6, kvHeads: 2, dh: 96, blockSize: 16 },
  // f16 pools: the new key and value rounded as stored before they are attended to, written two columns a word
  { lens: [2, 17, 1], heads: 6, kvHeads: 2, dh: 16, blockSize: 4, splits: 3, kv: 'f16' },
  { lens: [1, 17, 300], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, kv: 'f16' },
  { lens: [1, 40], heads: 6, kvHeads: 2, dh: 96, blockSize: 16, separate: true, kv: 'f16' },
  // LongRoPE (Phi-3): new tokens at positions 39, 40 rotate with the short table, 41 and 99 with the long one
  { lens: [40, 41, 42, 100], heads: 6, kvHeads: 2, dh: 96, blockSize: 16, longFrom: 41 },
  { lens: [3, 9, 17], heads: 4, kvHeads: 4, dh: 16, blockSize: 4, splits: 2, kv: 'f16', longFrom: 8 },
];

const VARIANTS = ['heads_per_thread', 'head_per_thread', 'cooperative'] as const;
const KERNEL = { heads_per_thread: 'attention_decode', head_per_thread: 'attention_decode', cooperative: 'attention_decode_coop' } as const;

describe('attention_decode with rope_append fused (append)', () => {
  VARIANTS.forEach((variant, v) =>
    describe(variant, () => {
      CASES.forEach((c, i) => it(label(c), async () => expect(await runAppend(c, variant, 1000 + 100 * v + i)).toBe(KERNEL[variant])));
    }),
  );
  it('heads_per_thread with head blocks of 3, 3, 1 (only the first block writes the rows), splits 2', async () => {
    await runAppend({ lens: [33, 65, 5], heads: 14, kvHeads: 2, dh: 64, blockSize: 16, splits: 2, headsPerThread: 3 }, 'heads_per_thread', 1400);
  });
  it('cooperative with 16-key tiles: the new key alone in its tile, and last of a full one', async () => {
    await runAppend({ lens: [65, 48, 300], heads: 4, kvHeads: 1, dh: 32, blockSize: 16, splits: 1, workgroupSize: 16 }, 'cooperative', 1401);
  });
  it('rejects two inv_freq tables without longFrom', async () => {
    const tg = new TestGraph(await getGpu());
    const { q, k, v } = newTokens(tg, { heads: 2, kvHeads: 1, dh: 16, blockSize: 4 }, 1, rng(3), 'qkv');
    const pool = { k: tg.tensor('k', [2, 4, 1, 16], 'f32', new Float64Array(128), 'state'), v: tg.tensor('v', [2, 4, 1, 16], 'f32', new Float64Array(128), 'state') };
    const both = tg.tensor('both', [2, 8], 'f32', longRopeTables(16));
    const bt = tg.tensor('bt', [1, 2], 'u32', [0, 1], 'input');
    const sl = tg.tensor('sl', [1], 'u32', [3], 'input');
    expect(() => attentionDecode(tg.g, q, pool, bt, sl, { heads: 2, scale: 0.25, maxContext: 8, append: { k, v, invFreq: both } }, 'out')).toThrow(/two inv_freq tables go with longFrom/);
  });
  it('rejects a head dim that is not a multiple of 8', async () => {
    await expect(runAppend({ lens: [3], heads: 2, kvHeads: 1, dh: 20, blockSize: 4 }, 'cooperative', 1402)).rejects.toThrow(/multiple of 8/);
  });
});

describe('N fused decode steps == N steps of rope_append + attention_decode', () => {
  const runs = [['heads_per_thread', 1, 'f32'], ['heads_per_thread', undefined, 'f32'], ['cooperative', 1, 'f32'], ['cooperative', undefined, 'f32'], ['heads_per_thread', undefined, 'f16'], ['cooperative', undefined, 'f16']] as const;
  for (const [variant, splits, kv] of runs) {
    it(`4 steps of 3 sequences from 0, 14, 62 cached tokens, 14/2 heads × 64, block 16, ${variant}, splits ${splits ?? 'auto'}, ${kv} pools`, async () => {
      const r = rng(31 + (splits ?? 0) + (variant === 'cooperative' ? 10 : 0));
      const s: Shape = { heads: 14, kvHeads: 2, dh: 64, blockSize: 16, kv };
      const [cached, steps] = [[0, 14, 62], 4];
      const B = cached.length;
      const capacity = cached.map((c) => c + steps);
      const maxContext = 128;
      const { tg, tables, bt, invFreq, pool } = await setup(s, cached, capacity, maxContext, r);
      const [fused, unfused] = [pool('fused'), pool('unfused')];
      const opts = { heads: s.heads, scale: s.dh ** -0.5, maxContext, splits, variant };
      const outs: [Tensor, Tensor][] = [];
      for (let t = 0; t < steps; t++) {
        const lens = cached.map((c) => c + t + 1);
        const sl = tg.tensor(`seq_lens${t}`, [B], 'u32', lens, 'input');
        const pos = tg.tensor(`positions${t}`, [B], 'u32', lens.map((l) => l - 1), 'input');
        const slots = tg.tensor(`slots${t}`, [B], 'u32', lens.map((l, b) => slotsFor(tables[b]!, s.blockSize, l - 1, 1)[0]!), 'input');
        const { q, k, v } = newTokens(tg, s, B, r, `qkv${t}`);
        const a = attentionDecode(tg.g, q, fused, bt, sl, { ...opts, append: { k, v, invFreq } }, `fused${t}`);
        const ra = ropeAppend(tg.g, q, k, v, pos, invFreq, unfused, slots, { heads: s.heads }, `rope_append${t}`);
        outs.push([a, attentionDecode(tg.g, ra.q, unfused, bt, sl, opts, `unfused${t}`)]);
      }
      const { got, want } = await tg.run([...outs.flat(), fused.k, fused.v, unfused.k, unfused.v]);
      outs.forEach(([a, b], t) => {
        expectClose(`step ${t} fused vs rope_append + attention_decode`, got.get(a)!, got.get(b)!, TOL.exact);
        expectClose(`step ${t} fused vs reference`, got.get(a)!, want.get(a)!, TOL.attention);
      });
      expectPool('k_cache fused vs rope_append', got.get(fused.k)!, got.get(unfused.k)!, TOL.exact);
      expectPool('v_cache fused vs rope_append', got.get(fused.v)!, got.get(unfused.v)!, TOL.exact);
      expectPool('k_cache fused vs reference', got.get(fused.k)!, want.get(fused.k)!, kv === 'f16' ? TOL.f16Stored : TOL.rope);
      expectPool('v_cache fused vs reference', got.get(fused.v)!, want.get(fused.v)!, TOL.exact);
    });
  }
});
