// The paged KV cache on the GPU: per layer one K pool and one V pool [numBlocks, blockSize, Hkv, Dh] of f32 or f16
// (tensors of kind 'state'), shared by every sequence through the host block manager (kv_blocks.ts).
// Two AttentionSteps use it: prefill (flash attention over the prompt, keys appended to the cache) and
// decode (one query per sequence against its cached keys, read through the block table).
import type { LlmConfig } from '../loader/config.js';
import { llmHeadDim } from '../loader/llm_config.js';
import type { Gpu } from '../runtime/device.js';
import type { Graph } from '../runtime/graph.js';
import { type AttentionView, attention } from '../runtime/ops/attention.js';
import { attentionDecode } from '../runtime/ops/attention_decode.js';
import { DTYPE_BYTES } from '../runtime/dtype.js';
import { type KvDtype, type KvPool, createKvPool } from '../runtime/ops/kv_cache.js';
import { ropeAppend } from '../runtime/ops/rope_append.js';
import type { Tensor } from '../runtime/tensor.js';
import { tensorFromValues } from '../runtime/upload.js';
import { KvBlockManager } from './kv_blocks.js';
import { ropeSetup } from './rope_scaling.js';
import type { AttentionStep } from './decoder.js';

export interface KvCache {
  readonly blocks: KvBlockManager;
  /** One K/V pool pair per layer. */
  readonly pools: readonly KvPool[];
  /** RoPE's f32 inv_freq [Dh/2] (model/rope_scaling.ts); LongRoPE's short table. */
  readonly invFreq: Tensor;
  /** LongRoPE: the long table [Dh/2], both tables [2, Dh/2] (short, long) for decode, and where the long one starts. */
  readonly long?: { readonly invFreq: Tensor; readonly both: Tensor; readonly longFrom: number };
  readonly config: LlmConfig;
  /** softmax scale of q·kᵀ: 1/√Dh, times the square of RoPE's cos/sin factor where the scaling has one. */
  readonly attentionScale: number;
  /** Longest sequence the decode graphs are built for (block-table width · blockSize). */
  readonly maxSeqLen: number;
  readonly bytes: number;
  destroy(): void;
}

export interface KvCacheOptions {
  /** Tokens the pool holds across all live sequences. */
  readonly capacityTokens: number;
  /** Longest single sequence (prompt + new tokens); defaults to the capacity. */
  readonly maxSeqLen?: number;
  readonly blockSize?: number;
  /** Prompt blocks kept for prefix reuse when no sequence holds them (default: the whole pool; 0: off). */
  readonly prefixCacheBlocks?: number;
  /** How keys and values are stored: f32 (default) or f16 (half the memory; rounded to nearest even). */
  readonly dtype?: KvDtype;
}

export function createKvCache(gpu: Gpu, c: LlmConfig, options: KvCacheOptions): KvCache {
  const blockSize = options.blockSize ?? 16;
  const numBlocks = Math.ceil(options.capacityTokens / blockSize);
  const dh = llmHeadDim(c);
  const dtype = options.dtype ?? 'f32';
  const bytesPerPool = numBlocks * blockSize * c.num_key_value_heads * dh * DTYPE_BYTES[dtype];
  if (bytesPerPool > gpu.limits.maxStorageBufferBindingSize) {
    throw new Error(`[kv cache] ${options.capacityTokens} tokens need ${bytesPerPool} bytes per layer pool, over maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}`);
  }
  const pools = Array.from({ length: c.num_hidden_layers }, (_, i) => createKvPool(gpu, `kv.${i}`, { numBlocks, blockSize, kvHeads: c.num_key_value_heads, headDim: dh }, dtype));
  const rope = ropeSetup(c);
  const invFreq = tensorFromValues(gpu, 'rope.inv_freq', [dh / 2], 'f32', rope.invFreq);
  const long = rope.long && {
    invFreq: tensorFromValues(gpu, 'rope.inv_freq_long', [dh / 2], 'f32', rope.long.invFreq),
    both: tensorFromValues(gpu, 'rope.inv_freq_both', [2, dh / 2], 'f32', [...rope.invFreq, ...rope.long.invFreq]),
    longFrom: rope.long.longFrom,
  };
  const maxSeqLen = Math.min(options.maxSeqLen ?? numBlocks * blockSize, numBlocks * blockSize);
  return {
    blocks: new KvBlockManager(numBlocks, blockSize, Math.min(options.prefixCacheBlocks ?? numBlocks, numBlocks)),
    pools,
    invFreq,
    ...(long && { long }),
    config: c,
    attentionScale: dh ** -0.5 * rope.cosSinFactor ** 2,
    maxSeqLen,
    bytes: 2 * c.num_hidden_layers * bytesPerPool,
    destroy() {
      for (const t of [...pools.flatMap((p) => [p.k, p.v]), invFreq, long?.invFreq, long?.both]) t?.storage?.buffer.destroy();
    },
  };
}

/**
 * The inv_freq table of a forward pass whose last position is `passEnd − 1`: LongRoPE's long one when the pass
 * reaches past the switch (upstream picks per forward, for all of its positions), else the one table.
 */
function passTable(cache: KvCache, passEnd: number): Tensor {
  return cache.long && passEnd > cache.long.longFrom ? cache.long.invFreq : cache.invFreq;
}

function attnShape(cache: KvCache) {
  const c = cache.config;
  return { heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, headDim: llmHeadDim(c), scale: cache.attentionScale };
}

/**
 * Prompt pass of one sequence: RoPE, keys/values to their cache slots (one rope_append), causal flash attention on
 * them as the cache holds them (an f16 cache's rounded keys and values, which rope_append returns).
 */
export function prefillStep(cache: KvCache, positions: Tensor, slots: Tensor, passEnd: number): AttentionStep {
  return {
    attend(g: Graph, layer: number, q: AttentionView, k: AttentionView, v: AttentionView, name: string) {
      const shape = attnShape(cache);
      const r = ropeAppend(g, q, k, v, positions, passTable(cache, passEnd), cache.pools[layer]!, slots, { heads: shape.heads, writeK: true }, `${name}.rope_append`);
      return attention(g, r.q, r.k!, r.v ?? v, { ...shape, causal: true }, name);
    },
  };
}

/**
 * The rest of a prompt whose first tokens are already in the cache (a reused prefix): RoPE and the new keys and
 * values to their slots, then each new token attends through the block table to every cached key up to its own
 * position — the paged decode attention with one query row per new token (`blockTables` repeats the sequence's
 * row, `seqLens` counts prefix + i + 1).
 */
export function extendStep(cache: KvCache, positions: Tensor, slots: Tensor, inputs: { blockTables: Tensor; seqLens: Tensor }, passEnd: number): AttentionStep {
  return {
    attend(g: Graph, layer: number, q: AttentionView, k: AttentionView, v: AttentionView, name: string) {
      const shape = attnShape(cache);
      const r = ropeAppend(g, q, k, v, positions, passTable(cache, passEnd), cache.pools[layer]!, slots, { heads: shape.heads, writeK: false }, `${name}.rope_append`);
      const context = inputs.blockTables.shape[1]! * cache.blocks.blockSize;
      return attentionDecode(g, r.q, cache.pools[layer]!, inputs.blockTables, inputs.seqLens, { heads: shape.heads, scale: shape.scale, maxContext: context }, name);
    },
  };
}

/**
 * One new token per sequence (batch B): the decode attention rotates q and the new k, appends k and v to the
 * cache at position seq_len − 1 (the slot its block table gives) and attends over the sequence, in one dispatch
 * (plus a combine pass when `context`, the longest sequence the graph serves, needs several key splits).
 */
export function decodeStep(cache: KvCache, inputs: { blockTables: Tensor; seqLens: Tensor }, context = cache.maxSeqLen): AttentionStep {
  return {
    attend(g: Graph, layer: number, q: AttentionView, k: AttentionView, v: AttentionView, name: string) {
      const { heads, scale } = attnShape(cache);
      // each sequence's new token alone, as upstream's decode step of that sequence: LongRoPE switches per row
      const append = cache.long ? { k, v, invFreq: cache.long.both, longFrom: cache.long.longFrom } : { k, v, invFreq: cache.invFreq };
      return attentionDecode(g, q, cache.pools[layer]!, inputs.blockTables, inputs.seqLens, { heads, scale, maxContext: context, append }, name);
    },
  };
}
