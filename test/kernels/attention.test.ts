import { describe, expect, it } from 'vitest';
import type { VariantOf } from '../../runtime/device_profile.js';
import { attention, tiledShape } from '../../runtime/ops/attention.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

interface Case {
  readonly T: number; // tokens per sequence
  readonly seqs: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly dh: number;
  readonly causal: boolean;
  /** q, k, v as column windows of one [rows, stride] matrix (the ViT's fused qkv), else three tensors. */
  readonly fused: boolean;
  readonly rowsPerThread?: number;
  /** Force a kernel (default: per device class, 'blocked' on CPU adapters, 'tiled' on GPUs). */
  readonly kernel?: VariantOf<'attention'>;
  readonly workgroupSize?: number;
  /** The tiled kernel's query rows × keys per tile (default from the head dim). */
  readonly tile?: { readonly rows: number; readonly keys: number };
  /** 'gemm': false loads q and the scores per thread (the path of a subgroup that is not 8 lanes in order). */
  readonly shareX?: boolean;
}

function label(c: Case): string {
  return `T ${c.T} × ${c.seqs} seq, ${c.heads}/${c.kvHeads} heads × ${c.dh}, ${c.causal ? 'causal' : 'full'}, ${c.fused ? 'fused qkv' : 'separate q/k/v'}${c.rowsPerThread ? `, ${c.rowsPerThread} rows/thread` : ''}${c.kernel ? `, ${c.kernel} kernel` : ''}${c.workgroupSize ? `, wg ${c.workgroupSize}` : ''}${c.tile ? `, tile ${c.tile.rows}×${c.tile.keys}` : ''}${c.shareX === false ? ', no subgroup sharing' : ''}`;
}

async function runCase(c: Case, seed: number): Promise<void> {
  const r = rng(seed);
  const tg = new TestGraph(await getGpu());
  const rows = c.T * c.seqs;
  const qw = c.heads * c.dh;
  const kw = c.kvHeads * c.dh;
  const opts = { heads: c.heads, kvHeads: c.kvHeads, headDim: c.dh, causal: c.causal, scale: c.dh ** -0.5, numSeqs: c.seqs, rowsPerThread: c.rowsPerThread, kernel: c.kernel, workgroupSize: c.workgroupSize, tile: c.tile, ...(c.shareX !== undefined && { shareX: c.shareX }) };
  let out;
  if (c.fused) {
    // [q | k | v | 4 pad columns] so the stride is not just the sum of the windows
    const stride = qw + 2 * kw + (c.T > 1000 ? 0 : 4);
    const qkv = tg.tensor('qkv', [rows, stride], 'f32', r.normal(rows * stride, 1.5));
    out = attention(tg.g, { tensor: qkv, offset: 0, stride }, { tensor: qkv, offset: qw, stride }, { tensor: qkv, offset: qw + kw, stride }, opts, 'out');
  } else {
    const q = tg.tensor('q', [rows, qw], 'f32', r.normal(rows * qw, 1.5));
    const k = tg.tensor('k', [rows, kw], 'f32', r.normal(rows * kw, 1.5));
    const v = tg.tensor('v', [rows, kw], 'f32', r.normal(rows * kw));
    out = attention(tg.g, q, k, v, opts, 'out');
  }
  await checkGraph(tg, [out], TOL.attention, `attention ${label(c)}`);
}

const CASES: Case[] = [];
for (const T of [1, 2, 7, 33, 65]) {
  for (const causal of [false, true]) {
    CASES.push({ T, seqs: 1, heads: 14, kvHeads: 2, dh: 16, causal, fused: false });
    CASES.push({ T, seqs: 1, heads: 4, kvHeads: 4, dh: 64, causal, fused: true });
  }
}
CASES.push(
  { T: 7, seqs: 3, heads: 16, kvHeads: 16, dh: 16, causal: false, fused: true },
  { T: 33, seqs: 2, heads: 14, kvHeads: 2, dh: 64, causal: true, fused: false },
  { T: 17, seqs: 3, heads: 6, kvHeads: 2, dh: 16, causal: false, fused: true },
);
for (const rowsPerThread of [1, 2, 3, 4]) {
  CASES.push({ T: 37, seqs: 2, heads: 4, kvHeads: 2, dh: 16, causal: true, fused: false, rowsPerThread });
  CASES.push({ T: 29, seqs: 1, heads: 2, kvHeads: 1, dh: 64, causal: false, fused: true, rowsPerThread });
}

// the blocked kernel (8 rows × 8-key blocks, 64 rows per workgroup of 8) forced, so GPU runs cover it too: tile
// edges (63/64/65/129 rows), partial key blocks, several sequences, GQA, and a workgroup of 16 (two SIMD batches)
for (const [T, seqs, causal] of [[1, 1, true], [63, 2, true], [65, 2, false], [129, 1, true]] as const) {
  CASES.push({ T, seqs, heads: 6, kvHeads: 2, dh: 16, causal, fused: false, kernel: 'blocked' });
  CASES.push({ T, seqs, heads: 2, kvHeads: 2, dh: 64, causal, fused: true, kernel: 'blocked' });
}
CASES.push({ T: 150, seqs: 2, heads: 4, kvHeads: 2, dh: 16, causal: true, fused: false, kernel: 'blocked', workgroupSize: 16 });
CASES.push({ T: 70, seqs: 1, heads: 4, kvHeads: 4, dh: 16, causal: false, fused: true, kernel: 'rows' });
// head dims of the family's other language models, Phi-3 (96) and InternLM2 (128): the profile's kernel and the
// tiled one (128 is among the tiled cases below; the per-thread kernels compile slowly on lavapipe at these sizes)
CASES.push({ T: 19, seqs: 2, heads: 4, kvHeads: 2, dh: 96, causal: true, fused: false });
CASES.push({ T: 19, seqs: 2, heads: 4, kvHeads: 2, dh: 96, causal: true, fused: false, kernel: 'tiled' });

// the tiled kernel (GPU default: 32×16 tiles up to head dim 64, 16×8 above) forced: 1, 2, primes and non-multiples
// of the tiles, 1–3 sequences, GQA groups 1/2/7, head dims 16 and 64 (4 vec4 columns per invocation), 20 (guarded
// columns: 5 vec4 over 4 column groups), 128 (8 column groups, 16×8 tiles), fused qkv views, and non-default tiles:
// 16×32 (more score items than invocations), 2×4 (one row pair per workgroup, T/2 tiles)
for (const T of [1, 2, 37, 67]) {
  for (const causal of [false, true]) {
    CASES.push({ T, seqs: 1, heads: 14, kvHeads: 2, dh: 16, causal, fused: false, kernel: 'tiled' });
    CASES.push({ T, seqs: 1, heads: 4, kvHeads: 4, dh: 64, causal, fused: true, kernel: 'tiled' });
  }
}
CASES.push(
  { T: 37, seqs: 3, heads: 7, kvHeads: 1, dh: 64, causal: true, fused: false, kernel: 'tiled' },
  { T: 67, seqs: 2, heads: 4, kvHeads: 2, dh: 16, causal: false, fused: true, kernel: 'tiled' },
  { T: 41, seqs: 2, heads: 4, kvHeads: 2, dh: 20, causal: true, fused: true, kernel: 'tiled' },
  { T: 53, seqs: 1, heads: 2, kvHeads: 1, dh: 128, causal: true, fused: false, kernel: 'tiled' },
  { T: 23, seqs: 3, heads: 2, kvHeads: 2, dh: 128, causal: false, fused: true, kernel: 'tiled' },
  { T: 71, seqs: 2, heads: 4, kvHeads: 2, dh: 16, causal: true, fused: false, kernel: 'tiled', tile: { rows: 16, keys: 32 } },
  { T: 37, seqs: 1, heads: 2, kvHeads: 1, dh: 16, causal: true, fused: true, kernel: 'tiled', tile: { rows: 2, keys: 4 } },
);

// attention as GEMMs (the cpu profile's non-causal default; needs subgroups, head dims % 8): 1, 2, primes and
// non-multiples of 4 and of the 128-row / 64-key tiles, GQA, several sequences, head dims 96 and 128 (a second,
// partial head-dim tile), the direct-load path; causal falls back to the blocked kernel. The real ViT cases cover
// chunks of pairs sharing the scores buffer (3 pairs of 1025² per 16 MiB chunk).
for (const T of [1, 2, 7, 33, 130]) {
  CASES.push({ T, seqs: 1, heads: 6, kvHeads: 2, dh: 16, causal: false, fused: false, kernel: 'gemm' });
  CASES.push({ T, seqs: 1, heads: 4, kvHeads: 4, dh: 64, causal: false, fused: true, kernel: 'gemm' });
}
CASES.push(
  { T: 67, seqs: 3, heads: 4, kvHeads: 2, dh: 16, causal: false, fused: true, kernel: 'gemm' },
  { T: 41, seqs: 2, heads: 3, kvHeads: 1, dh: 96, causal: false, fused: false, kernel: 'gemm' },
  { T: 23, seqs: 3, heads: 2, kvHeads: 2, dh: 128, causal: false, fused: true, kernel: 'gemm' },
  { T: 37, seqs: 2, heads: 4, kvHeads: 2, dh: 16, causal: false, fused: true, kernel: 'gemm', shareX: false },
  { T: 130, seqs: 1, heads: 2, kvHeads: 1, dh: 64, causal: false, fused: false, kernel: 'gemm', shareX: false },
  { T: 33, seqs: 2, heads: 4, kvHeads: 2, dh: 16, causal: true, fused: false, kernel: 'gemm' },
);

describe('attention (prefill)', () => {
  CASES.forEach((c, i) => it(label(c), () => runCase(c, 1000 + i)));

  // real shapes: InternViT layer (one 448² tile, fused qkv [1025, 3072]) and Qwen2 prefill
  it('real: InternViT 1025 tokens × 16 heads × 64, full, fused qkv', () => runCase({ T: 1025, seqs: 1, heads: 16, kvHeads: 16, dh: 64, causal: false, fused: true }, 7));
  it('real: Qwen2 prefill 300 tokens × 14/2 heads × 64, causal', () => runCase({ T: 300, seqs: 1, heads: 14, kvHeads: 2, dh: 64, causal: true, fused: false }, 8));
  it('real: InternViT 1025 tokens × 16 heads × 64, blocked kernel', () => runCase({ T: 1025, seqs: 1, heads: 16, kvHeads: 16, dh: 64, causal: false, fused: true, kernel: 'blocked' }, 9));
  it('real: Qwen2 prefill 300 tokens × 14/2 heads × 64, causal, rows kernel', () => runCase({ T: 300, seqs: 1, heads: 14, kvHeads: 2, dh: 64, causal: true, fused: false, kernel: 'rows', rowsPerThread: 4 }, 10));
  it('real: InternViT 1025 tokens × 16 heads × 64, fused qkv, gemm (6 chunks of pairs)', () => runCase({ T: 1025, seqs: 1, heads: 16, kvHeads: 16, dh: 64, causal: false, fused: true, kernel: 'gemm' }, 13));
  it('real: InternViT 2 tiles × 1025 tokens × 16 heads × 64, fused qkv, tiled kernel', () => runCase({ T: 1025, seqs: 2, heads: 16, kvHeads: 16, dh: 64, causal: false, fused: true, kernel: 'tiled' }, 11));
  it('tiled: every head dim the op allows gets a tile within 16 KiB and the prefetch registers; others are refused', () => {
    for (let dh = 4; dh <= 128; dh += 4) expect(tiledShape(dh).bytes).toBeLessThanOrEqual(16384);
    expect(() => tiledShape(64, { rows: 64, keys: 16 })).toThrow(/bytes of workgroup memory exceed 16384/);
    expect(() => tiledShape(64, { rows: 32, keys: 32 })).toThrow(/exceeds 4 per invocation/);
    expect(() => tiledShape(64, { rows: 31, keys: 16 })).toThrow(/rows must be even/);
  });
  it('real: Qwen2 prefill 300 tokens × 14/2 heads × 64, causal, tiled kernel', () => runCase({ T: 300, seqs: 1, heads: 14, kvHeads: 2, dh: 64, causal: true, fused: false, kernel: 'tiled' }, 12));
});
