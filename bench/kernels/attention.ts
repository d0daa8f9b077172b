// Attention at the real InternVL2-1B shapes: the InternViT layer (one 448² tile, 1025 tokens × 16 heads × 64,
// read out of the fused qkv) and a 512-token Qwen2 prefill (14/2 heads, causal), with the profile's variant and
// with every variant forced, paged decode of one sequence at context 256 / 1024 / 4096 (blockSize 16, split-K
// default and off), decode with rope_append fused in against rope_append + attention_decode (batch 1, context
// 256 / 1024), the same decode on an f16 KV cache, and the KV-cache append.
// Contents are zero except the block tables and lengths: timing has no data-dependent control flow otherwise.
import { OP_VARIANTS, type VariantOf } from '../../runtime/device_profile.js';
import { attention } from '../../runtime/ops/attention.js';
import { attentionDecode } from '../../runtime/ops/attention_decode.js';
import { type KvDtype, kvAppend } from '../../runtime/ops/kv_cache.js';
import { ropeAppend } from '../../runtime/ops/rope_append.js';
import { writeTensor } from '../../runtime/upload.js';
import type { BenchCase, BenchContext } from '../case.js';
import { LLM_HIDDEN, LLM_KV, PREFILL_TOKENS, VIT_HIDDEN, VIT_TOKENS } from '../shapes.js';

const HEAD_DIM = 64;
const LLM_HEADS = LLM_HIDDEN / HEAD_DIM; // 14
const LLM_KV_HEADS = LLM_KV / HEAD_DIM; // 2
const BLOCK = 16;

const u32Input = (bench: BenchContext, name: string, shape: number[], values: ArrayLike<number>) => {
  const t = bench.tensor(name, shape, 'u32');
  writeTensor(bench.gpu, t, Uint32Array.from(values));
  return t;
};

const pool = (b: BenchContext, blocks: number, dtype: KvDtype = 'f32') => ({
  k: b.tensor('k_cache', [blocks, BLOCK, LLM_KV_HEADS, HEAD_DIM], dtype),
  v: b.tensor('v_cache', [blocks, BLOCK, LLM_KV_HEADS, HEAD_DIM], dtype),
});

/** Paged decode of `batch` sequences, all at `context`; `variant` forces a kernel (default: the profile's). */
function decodeCase(context: number, splits?: number, variant?: VariantOf<'attention_decode'>, batch = 1, kv: KvDtype = 'f32'): BenchCase {
  return {
    op: 'attention_decode',
    name: `decode ctx ${context} [${batch}×${LLM_HEADS}/${LLM_KV_HEADS}×${HEAD_DIM}]${kv === 'f16' ? ' f16 KV' : ''}`,
    variant: `${variant ?? 'default'} ${splits === 1 ? 'no split' : 'split-K'}`,
    build: (g, b) => {
      const perSeq = Math.ceil(context / BLOCK);
      const p = pool(b, batch * perSeq, kv);
      // reversed (non-contiguous) block tables, the sequences' blocks interleaved
      const tables = Array.from({ length: batch * perSeq }, (_, i) => (perSeq - 1 - (i % perSeq)) * batch + Math.floor(i / perSeq));
      const bt = u32Input(b, 'block_tables', [batch, perSeq], tables);
      const sl = u32Input(b, 'seq_lens', [batch], new Array<number>(batch).fill(context));
      const q = b.tensor('q', [batch, LLM_HIDDEN]);
      return [attentionDecode(g, q, p, bt, sl, { heads: LLM_HEADS, scale: HEAD_DIM ** -0.5, maxContext: context, splits, variant }, 'out')];
    },
  };
}

/** The cooperative decode kernel and the per-thread one it replaces as the GPU default, batch 1 and 32. */
const forcedDecodeCases = (['cooperative', 'head_per_thread'] as const).flatMap((variant) =>
  [[1, 256], [1, 1024], [1, 4096], [32, 256], [32, 1024]].map(([batch, context]) => decodeCase(context!, undefined, variant, batch)),
);

/**
 * One decode step's attention of `batch` sequences at `context` (the new token included) from the qkv projection:
 * attention_decode with rope_append fused in (`append`), or rope_append then attention_decode (as model/kv_cache.ts
 * decodeStep records it today); `variant` forces the decode kernel (default: the profile's).
 */
function decodeAppendCase(context: number, fused: boolean, variant?: VariantOf<'attention_decode'>, batch = 1): BenchCase {
  return {
    op: 'attention_decode',
    name: `decode+rope_append ctx ${context} [${batch}×${LLM_HEADS}/${LLM_KV_HEADS}×${HEAD_DIM}]`,
    variant: `${variant ?? 'default'} ${fused ? 'fused' : 'rope_append + attention_decode'}`,
    build: (g, b) => {
      const perSeq = Math.ceil(context / BLOCK);
      const p = pool(b, batch * perSeq);
      const tables = Array.from({ length: batch * perSeq }, (_, i) => (perSeq - 1 - (i % perSeq)) * batch + Math.floor(i / perSeq));
      const bt = u32Input(b, 'block_tables', [batch, perSeq], tables);
      const sl = u32Input(b, 'seq_lens', [batch], new Array<number>(batch).fill(context));
      const stride = LLM_HIDDEN + 2 * LLM_KV;
      const qkv = b.tensor('qkv', [batch, stride]);
      const [q, k, v] = [0, LLM_HIDDEN, LLM_HIDDEN + LLM_KV].map((offset) => ({ tensor: qkv, offset, stride }));
      const invFreq = b.tensor('inv_freq', [HEAD_DIM / 2]);
      const opts = { heads: LLM_HEADS, scale: HEAD_DIM ** -0.5, maxContext: context, variant };
      if (fused) return [attentionDecode(g, q!, p, bt, sl, { ...opts, append: { k: k!, v: v!, invFreq } }, 'out')];
      const pos = u32Input(b, 'positions', [batch], new Array<number>(batch).fill(context - 1));
      const slots = u32Input(b, 'slots', [batch], Array.from({ length: batch }, (_, i) => tables[i * perSeq + perSeq - 1]! * BLOCK + ((context - 1) % BLOCK)));
      const r = ropeAppend(g, q!, k!, v!, pos, invFreq, p, slots, { heads: LLM_HEADS }, 'rope_append');
      return [attentionDecode(g, r.q, p, bt, sl, opts, 'out')];
    },
  };
}

const decodeAppendCases = [undefined, 'cooperative' as const].flatMap((variant) =>
  [256, 1024].flatMap((context) => [true, false].map((fused) => decodeAppendCase(context, fused, variant))),
);

/** The ViT layer's attention; `kernel` forces a variant (default: the profile's). */
const vitCase = (kernel?: VariantOf<'attention'>): BenchCase => ({
  op: 'attention',
  name: `vit.attn [${VIT_TOKENS}×16×${HEAD_DIM}] fused qkv`,
  variant: kernel ?? 'default',
  build: (g, b) => {
    const qkv = b.tensor('qkv', [VIT_TOKENS, 3 * VIT_HIDDEN]);
    const view = (i: number) => ({ tensor: qkv, offset: i * VIT_HIDDEN, stride: 3 * VIT_HIDDEN });
    return [attention(g, view(0), view(1), view(2), { heads: 16, kvHeads: 16, headDim: HEAD_DIM, causal: false, scale: HEAD_DIM ** -0.5, kernel }, 'out')];
  },
});

/** Qwen2 prefill attention; `kernel` forces a variant (default: the profile's). */
const prefillCase = (kernel?: VariantOf<'attention'>): BenchCase => ({
  op: 'attention',
  name: `prefill.attn [${PREFILL_TOKENS}×${LLM_HEADS}/${LLM_KV_HEADS}×${HEAD_DIM}] causal`,
  variant: kernel ?? 'default',
  build: (g, b) => {
    const q = b.tensor('q', [PREFILL_TOKENS, LLM_HIDDEN]);
    const k = b.tensor('k', [PREFILL_TOKENS, LLM_KV]);
    const v = b.tensor('v', [PREFILL_TOKENS, LLM_KV]);
    return [attention(g, q, k, v, { heads: LLM_HEADS, kvHeads: LLM_KV_HEADS, headDim: HEAD_DIM, causal: true, scale: HEAD_DIM ** -0.5, kernel }, 'out')];
  },
});

export const attentionCases: BenchCase[] = [
  vitCase(),
  prefillCase(),
  ...OP_VARIANTS.attention.map(vitCase),
  ...OP_VARIANTS.attention.map(prefillCase),
  decodeCase(256),
  decodeCase(1024),
  decodeCase(4096),
  decodeCase(4096, 1),
  decodeCase(1024, undefined, undefined, 1, 'f16'),
  decodeCase(4096, undefined, undefined, 1, 'f16'),
  decodeCase(1024, undefined, 'cooperative', 32, 'f16'),
  ...forcedDecodeCases,
  ...decodeAppendCases,
  {
    op: 'kv_append',
    name: `prefill.kv_append [${PREFILL_TOKENS}×${LLM_KV}]`,
    build: (g, b) => {
      const blocks = PREFILL_TOKENS / BLOCK;
      const p = pool(b, blocks);
      const slots = u32Input(b, 'slots', [PREFILL_TOKENS], Array.from({ length: PREFILL_TOKENS }, (_, i) => i));
      kvAppend(g, p, b.tensor('k', [PREFILL_TOKENS, LLM_KV]), b.tensor('v', [PREFILL_TOKENS, LLM_KV]), slots, 'append');
      return [p.k, p.v];
    },
  },
];
