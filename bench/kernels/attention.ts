// Attention at the real InternVL2-1B shapes: the InternViT layer (one 448² tile, 1025 tokens × 16 heads × 64,
// read out of the fused qkv), a 512-token Qwen2 prefill (14/2 heads, causal), paged decode of one sequence at
// context 256 / 1024 / 4096 (blockSize 16, split-K default and off), and the KV-cache append.
// Contents are zero except the block tables and lengths: timing has no data-dependent control flow otherwise.
import { attention } from '../../runtime/ops/attention.js';
import { attentionDecode } from '../../runtime/ops/attention_decode.js';
import { kvAppend } from '../../runtime/ops/kv_cache.js';
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

const pool = (b: BenchContext, blocks: number) => ({
  k: b.tensor('k_cache', [blocks, BLOCK, LLM_KV_HEADS, HEAD_DIM]),
  v: b.tensor('v_cache', [blocks, BLOCK, LLM_KV_HEADS, HEAD_DIM]),
});

function decodeCase(context: number, splits?: number): BenchCase {
  return {
    op: 'attention_decode',
    name: `decode ctx ${context} [1×${LLM_HEADS}/${LLM_KV_HEADS}×${HEAD_DIM}]`,
    variant: splits === 1 ? 'no split' : 'split-K',
    build: (g, b) => {
      const blocks = Math.ceil(context / BLOCK);
      const p = pool(b, blocks);
      // a reversed (non-contiguous) block table
      const bt = u32Input(b, 'block_tables', [1, blocks], Array.from({ length: blocks }, (_, i) => blocks - 1 - i));
      const sl = u32Input(b, 'seq_lens', [1], [context]);
      const q = b.tensor('q', [1, LLM_HIDDEN]);
      return [attentionDecode(g, q, p, bt, sl, { heads: LLM_HEADS, scale: HEAD_DIM ** -0.5, maxContext: context, splits }, 'out')];
    },
  };
}

export const attentionCases: BenchCase[] = [
  {
    op: 'attention',
    name: `vit.attn [${VIT_TOKENS}×16×${HEAD_DIM}] fused qkv`,
    build: (g, b) => {
      const qkv = b.tensor('qkv', [VIT_TOKENS, 3 * VIT_HIDDEN]);
      const view = (i: number) => ({ tensor: qkv, offset: i * VIT_HIDDEN, stride: 3 * VIT_HIDDEN });
      return [attention(g, view(0), view(1), view(2), { heads: 16, kvHeads: 16, headDim: HEAD_DIM, causal: false, scale: HEAD_DIM ** -0.5 }, 'out')];
    },
  },
  {
    op: 'attention',
    name: `prefill.attn [${PREFILL_TOKENS}×${LLM_HEADS}/${LLM_KV_HEADS}×${HEAD_DIM}] causal`,
    build: (g, b) => {
      const q = b.tensor('q', [PREFILL_TOKENS, LLM_HIDDEN]);
      const k = b.tensor('k', [PREFILL_TOKENS, LLM_KV]);
      const v = b.tensor('v', [PREFILL_TOKENS, LLM_KV]);
      return [attention(g, q, k, v, { heads: LLM_HEADS, kvHeads: LLM_KV_HEADS, headDim: HEAD_DIM, causal: true, scale: HEAD_DIM ** -0.5 }, 'out')];
    },
  },
  decodeCase(256),
  decodeCase(1024),
  decodeCase(4096),
  decodeCase(4096, 1),
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
