// The generation engine: the model with its paged KV cache and recorded decode graphs (one per batch size, token
// picker and context bucket), and the options and events of generation. The loop that drives it is the
// scheduler (model/scheduler.ts). Greedy tokens come from the GPU argmax (4 bytes per sequence per step).
import type { Tensor } from '../runtime/tensor.js';
import { createTensor } from '../runtime/upload.js';
import type { KvDtype } from '../runtime/ops/kv_cache.js';
import { type KvCache, createKvCache } from './kv_cache.js';
import { SAMPLE_TOPK_CAP } from '../runtime/ops/sample.js';
import { type DecodeGraph, type TokenPicker, buildDecodeGraph } from './llm_pass.js';
import type { LoadedModel } from './load.js';
import { ropeSetup } from './rope_scaling.js';
import type { SamplingOptions } from '../runtime/sampler.js';

export interface GenerationHooks {
  /** Logits at the last prompt position of request `index` (before any sampling changes them). */
  onPrefillLogits?: (index: number, logits: Float32Array) => void;
  /** Named prefill intermediates to read back (parity), delivered per request. */
  capture?: readonly string[];
  onPrefillCaptures?: (index: number, captures: Map<string, Float32Array>) => void;
  /** Stops generation before the next prefill or decode step, throwing the signal's reason (blocks are freed). */
  signal?: AbortSignal;
}

export interface GenerationOptions extends SamplingOptions {
  /** HF max_new_tokens; the card uses 1024. */
  readonly maxNewTokens?: number;
  /** Default: the template's stop token only (<|im_end|> for InternVL2-1B), as chat(), overriding generation_config.json. */
  readonly eosTokenId?: number | readonly number[];
}

export interface SequenceRequest {
  readonly ids: Uint32Array;
  /** f32 [n·256, H] features for the prompt's IMG_CONTEXT tokens. */
  readonly imageFeatures?: Tensor;
}

export interface TokenEvent {
  /** Which request. */
  readonly index: number;
  readonly token: number;
  /** True on the last token of this sequence (eos included; the eos token itself is reported). */
  readonly done: boolean;
}

export interface GenerationStats {
  prefillMs: number;
  prefillTokens: number;
  decodeMs: number;
  decodeSteps: number;
  decodeTokens: number;
  /** Host (JS) time per decode step before its work reaches the GPU: input prep, writes, encode, submit. */
  hostMsPerStep: number[];
  /** Host time per decode step spent after its submit encoding the next step (runtime/plan.ts encodeAhead). */
  aheadMsPerStep: number[];
  /** Prompt tokens whose keys and values came from the prefix cache (not prefilled). */
  cachedPromptTokens: number;
  /** Decode steps submitted while an earlier step was still in flight (the profile's submit_ahead pipelining). */
  stepsAhead: number;
}

/** The model plus its KV cache and recorded decode graphs (per batch size, token picker and context bucket). */
export interface Engine {
  readonly model: LoadedModel;
  readonly cache: KvCache;
  readonly decodeGraphs: Map<string, DecodeGraph>;
  /** The decode token buffer of each batch size, shared by its graphs (see DecodeGraph.tokens). */
  readonly decodeTokens: Map<number, Tensor>;
  nextSeq: number;
  readonly sampleOn?: 'gpu' | 'host';
  /** Recorded decode graphs kept at most (least recently used first to go). */
  readonly maxDecodeGraphs: number;
}

export interface EngineOptions {
  /** Longest prompt + answer of one sequence (the context the cache is sized for). Default 4096. */
  readonly maxContext?: number;
  /** Tokens the cache holds over all live sequences (batch chat). Default 2 · maxContext. */
  readonly cacheTokens?: number;
  readonly blockSize?: number;
  /**
   * Prompt tokens kept in the cache for reuse by later prompts that start the same way (prefix caching), at most;
   * default: as many as the cache holds, 0 turns it off. Kept blocks are reclaimed whenever new sequences need room.
   */
  readonly prefixCacheTokens?: number;
  /**
   * How the KV cache stores keys (after RoPE) and values: 'f32' (default) or 'f16' (half the cache memory, rounded
   * to nearest even; attention reads them as stored, in prefill too).
   */
  readonly kvCache?: KvDtype;
  /** Where sampled tokens are drawn (default: the device profile's `sample` variant; see tokenPicker). */
  readonly sampleOn?: 'gpu' | 'host';
  /** Decode graphs (one per batch size, token picker and context bucket) kept recorded at most; default 16, ≥ 4. */
  readonly maxDecodeGraphs?: number;
}

export function createEngine(model: LoadedModel, options: EngineOptions = {}): Engine {
  const maxContext = Math.min(options.maxContext ?? 4096, ropeSetup(model.config.llm_config).maxContext);
  const blockSize = options.blockSize ?? 16;
  if (options.kvCache !== undefined && options.kvCache !== 'f32' && options.kvCache !== 'f16') throw new Error(`[InternVL] kvCache must be 'f32' or 'f16', got ${JSON.stringify(options.kvCache)}`);
  const cache = createKvCache(model.gpu, model.config.llm_config, {
    capacityTokens: options.cacheTokens ?? 2 * maxContext,
    maxSeqLen: maxContext,
    blockSize,
    ...(options.prefixCacheTokens !== undefined && { prefixCacheBlocks: Math.floor(options.prefixCacheTokens / blockSize) }),
    ...(options.kvCache && { dtype: options.kvCache }),
  });
  const maxDecodeGraphs = Math.max(4, options.maxDecodeGraphs ?? 16);
  return { model, cache, decodeGraphs: new Map(), decodeTokens: new Map(), nextSeq: 1, maxDecodeGraphs, ...(options.sampleOn && { sampleOn: options.sampleOn }) };
}

export function destroyEngine(engine: Engine): void {
  for (const g of engine.decodeGraphs.values()) g.destroy();
  engine.decodeGraphs.clear();
  for (const t of engine.decodeTokens.values()) t.storage?.buffer.destroy();
  engine.decodeTokens.clear();
  engine.cache.destroy();
}

/** Contexts served by one decode graph: powers of two from 64 up to the cache's maxSeqLen. */
const MIN_CONTEXT_BUCKET = 64;

export function contextBucket(maxSeqLen: number, tokens: number): number {
  return Math.min(maxSeqLen, Math.max(MIN_CONTEXT_BUCKET, 2 ** Math.ceil(Math.log2(Math.max(1, tokens)))));
}

/**
 * The graph for a step of `batch` sequences whose longest context (this step's token included) is `tokens`:
 * recorded per power-of-two context bucket, so a short context attends without split-K's combine pass.
 */
export function decodeGraphFor(engine: Engine, batch: number, picker: TokenPicker, tokens: number): DecodeGraph {
  const context = contextBucket(engine.cache.maxSeqLen, tokens);
  const key = `${batch}:${picker}:${context}`;
  let graph = engine.decodeGraphs.get(key);
  if (graph) {
    engine.decodeGraphs.delete(key); // most recently used last
    engine.decodeGraphs.set(key, graph);
    return graph;
  }
  let ids = engine.decodeTokens.get(batch);
  if (!ids) engine.decodeTokens.set(batch, (ids = createTensor(engine.model.gpu, `decode.tokens[${batch}]`, [batch], 'u32', 'state')));
  engine.decodeGraphs.set(key, (graph = buildDecodeGraph(engine.model, engine.cache, batch, picker, context, ids)));
  // Continuous batching meets many (batch, context) pairs: the least recently used graphs go. Steps in flight use
  // the graphs of the last two calls at most, so they are never among those freed.
  for (const [old, g] of engine.decodeGraphs) {
    if (engine.decodeGraphs.size <= engine.maxDecodeGraphs) break;
    engine.decodeGraphs.delete(old);
    g.destroy();
  }
  return graph;
}

/**
 * Greedy → GPU argmax. Sampling → the GPU sampler on real GPUs (4 bytes back per token instead of 600 KB), the
 * host sampler on CPU adapters (lavapipe sorts slower than it copies) and when top_k exceeds the GPU cap.
 */
export function tokenPicker(engine: Engine, o: SamplingOptions): TokenPicker {
  const sampling = !!o.doSample || (o.repetitionPenalty ?? 1) !== 1;
  if (!sampling) return 'argmax';
  if ((o.topK ?? 0) > SAMPLE_TOPK_CAP) return 'host';
  return (engine.sampleOn ?? engine.model.gpu.profile.variants.sample) === 'host' ? 'host' : 'sample';
}

export function newStats(): GenerationStats {
  return { prefillMs: 0, prefillTokens: 0, decodeMs: 0, decodeSteps: 0, decodeTokens: 0, hostMsPerStep: [], aheadMsPerStep: [], cachedPromptTokens: 0, stepsAhead: 0 };
}
