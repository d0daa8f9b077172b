// The generation loop: prefill every sequence, then decode all live sequences together through the paged
// cache (one replayed graph per batch size, no padding), stopping each on <|im_end|> or max_new_tokens.
// Greedy tokens come from the GPU argmax (4 bytes per sequence per step); sampling reads the logits row.
import type { Tensor } from '../runtime/tensor.js';
import { createTensor } from '../runtime/upload.js';
import { IM_END } from '../tokenizer/special_tokens.js';
import { type KvCache, createKvCache } from './kv_cache.js';
import { SAMPLE_TOPK_CAP, packSampleSettings } from '../runtime/ops/sample.js';
import { type DecodeGraph, type DecodeResult, type TokenPicker, buildDecodeGraph, decode, prefill } from './llm_pass.js';
import type { LoadedModel } from './load.js';
import { type SamplingOptions, sampleToken, seededRandom, validateSampling } from '../runtime/sampler.js';

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
  /** chat() stops on <|im_end|> only (151645), overriding generation_config.json. */
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
  /** Host (JS) time per decode step: input prep + encode + submit. */
  hostMsPerStep: number[];
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
}

export interface EngineOptions {
  /** Longest prompt + answer of one sequence (the context the cache is sized for). Default 4096. */
  readonly maxContext?: number;
  /** Tokens the cache holds over all live sequences (batch chat). Default 2 · maxContext. */
  readonly cacheTokens?: number;
  readonly blockSize?: number;
  /** Where sampled tokens are drawn (default: the device profile's `sample` variant; see tokenPicker). */
  readonly sampleOn?: 'gpu' | 'host';
}

export function createEngine(model: LoadedModel, options: EngineOptions = {}): Engine {
  const maxContext = Math.min(options.maxContext ?? 4096, model.config.llm_config.max_position_embeddings);
  const cache = createKvCache(model.gpu, model.config.llm_config, { capacityTokens: options.cacheTokens ?? 2 * maxContext, maxSeqLen: maxContext, ...(options.blockSize ? { blockSize: options.blockSize } : {}) });
  return { model, cache, decodeGraphs: new Map(), decodeTokens: new Map(), nextSeq: 1, ...(options.sampleOn && { sampleOn: options.sampleOn }) };
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
function decodeGraphFor(engine: Engine, batch: number, picker: TokenPicker, tokens: number): DecodeGraph {
  const context = contextBucket(engine.cache.maxSeqLen, tokens);
  const key = `${batch}:${picker}:${context}`;
  let graph = engine.decodeGraphs.get(key);
  if (!graph) {
    let ids = engine.decodeTokens.get(batch);
    if (!ids) engine.decodeTokens.set(batch, (ids = createTensor(engine.model.gpu, `decode.tokens[${batch}]`, [batch], 'u32', 'state')));
    engine.decodeGraphs.set(key, (graph = buildDecodeGraph(engine.model, engine.cache, batch, picker, context, ids)));
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
  return { prefillMs: 0, prefillTokens: 0, decodeMs: 0, decodeSteps: 0, decodeTokens: 0, hostMsPerStep: [] };
}

/**
 * Generate for every request; yields tokens as they are produced (streaming). Requests are checked against
 * the cache before any GPU work: a prompt + max_new_tokens over the context is a clear error.
 */
export async function* generate(engine: Engine, requests: readonly SequenceRequest[], options: GenerationOptions = {}, stats: GenerationStats = newStats(), hooks: GenerationHooks = {}): AsyncGenerator<TokenEvent> {
  validateSampling(options);
  const maxNew = options.maxNewTokens ?? 1024;
  if (!Number.isInteger(maxNew) || maxNew < 1) throw new Error(`[generation] maxNewTokens must be a positive integer, got ${maxNew}`);
  const eos = new Set(typeof options.eosTokenId === 'number' ? [options.eosTokenId] : (options.eosTokenId ?? [IM_END]));
  const { cache } = engine;
  const demand = new Map<number, number>();
  // One prefill pass holds the whole prompt: its widest activation, [L, intermediate_size] f32, must fit a binding.
  const c = engine.model.config.llm_config;
  const maxPrompt = Math.floor(engine.model.gpu.limits.maxStorageBufferBindingSize / (4 * Math.max(c.intermediate_size, c.hidden_size * 3)));
  requests.forEach((r, i) => {
    if (r.ids.length > maxPrompt) {
      throw new Error(`[generation] request ${i}: a prompt of ${r.ids.length} tokens exceeds the ${maxPrompt} tokens one prefill pass can hold on this device (maxStorageBufferBindingSize ${engine.model.gpu.limits.maxStorageBufferBindingSize}); use fewer image tiles or a shorter history`);
    }
    const need = r.ids.length + maxNew;
    if (need > cache.maxSeqLen) {
      throw new Error(`[generation] request ${i}: prompt of ${r.ids.length} tokens + maxNewTokens ${maxNew} = ${need} exceeds the ${cache.maxSeqLen}-token context this model was created with (EngineOptions.maxContext)`);
    }
    demand.set(-1 - i, need);
  });
  if (!cache.blocks.canHold(demand)) {
    throw new Error(`[generation] ${requests.length} sequences need more KV cache blocks than the ${cache.blocks.usage().freeBlocks} free; lower maxNewTokens, batch fewer questions, or raise EngineOptions.cacheTokens`);
  }
  const random = seededRandom(options.seed ?? 0);
  const seqs = requests.map(() => engine.nextSeq++);
  const generated: number[][] = requests.map(() => []);
  const pick = (logits: Float32Array, i: number) => sampleToken(logits, options, generated[i]!, random);
  const inflight: { live: number[]; result: Promise<DecodeResult> }[] = [];
  let live: number[] = [];
  try {
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      hooks.signal?.throwIfAborted();
      const t0 = performance.now();
      const { logits, captures } = await prefill(engine.model, cache, seqs[i]!, r.ids, {
        ...(r.imageFeatures && { imageFeatures: r.imageFeatures }),
        ...(hooks.capture && { capture: hooks.capture }),
      });
      if (hooks.capture) hooks.onPrefillCaptures?.(i, captures);
      stats.prefillMs += performance.now() - t0;
      stats.prefillTokens += r.ids.length;
      hooks.onPrefillLogits?.(i, logits.slice());
      const token = pick(logits, i);
      generated[i]!.push(token);
      const done = eos.has(token) || maxNew === 1;
      yield { index: i, token, done };
      if (!done) live.push(i);
    }
    const picker = tokenPicker(engine, options);
    // With the profile's 'submit_ahead' (GPUs), greedy steps run one ahead: step N+1 reads step N's token on the
    // GPU and is submitted before step N's token is read back, so the GPU does not wait for the host between
    // steps. A step ahead goes out only for an unchanged batch whose every sequence has room under maxNewTokens;
    // results of sequences that ended meanwhile are dropped (their blocks are released with the sequence). CPU
    // adapters run 'in_turn': there the host's work competes with the rasteriser for the same cores (−15 %).
    const ahead = picker === 'argmax' && engine.model.gpu.profile.variants.decode_pipeline === 'submit_ahead' ? 1 : 0;
    const V = engine.model.config.llm_config.vocab_size;
    let feedFromHost = true; // the first step of a batch takes its tokens from the host (and every 'host' step)
    let lastDone = performance.now();
    const ended = new Set<number>();
    const submitAllowed = () =>
      live.length > 0 && inflight.length <= ahead && (inflight.length === 0 || inflight.at(-1)!.live === live) && live.every((i) => generated[i]!.length + inflight.length < maxNew);
    while (live.length || inflight.length) {
      while (submitAllowed()) {
        hooks.signal?.throwIfAborted();
        const longest = Math.max(...live.map((i) => cache.blocks.length(seqs[i]!))) + 1;
        const graph = decodeGraphFor(engine, live.length, picker, longest);
        const sampleInputs =
          picker === 'sample'
            ? { settings: packSampleSettings(live.map(() => ({ options, u: options.doSample ? random() : 0 }))), previous: live.map((i) => generated[i]!) }
            : undefined;
        const tokens = feedFromHost || picker === 'host' ? live.map((i) => generated[i]!.at(-1)!) : undefined;
        const result = decode(cache, graph, live.map((i) => seqs[i]!), tokens, sampleInputs);
        result.catch(() => {}); // a step that fails while an earlier one is awaited is reported when its turn comes
        inflight.push({ live, result });
        feedFromHost = false;
      }
      const step = inflight.shift()!;
      const out = await step.result;
      const now = performance.now();
      stats.decodeMs += now - lastDone;
      lastDone = now;
      stats.decodeSteps++;
      stats.hostMsPerStep.push(out.hostMs);
      for (let b = 0; b < step.live.length; b++) {
        const i = step.live[b]!;
        if (ended.has(i)) continue;
        const token = picker === 'host' ? pick(out.logits!.subarray(b * V, (b + 1) * V), i) : out.tokens[b]!;
        generated[i]!.push(token);
        stats.decodeTokens++;
        const done = eos.has(token) || generated[i]!.length >= maxNew;
        if (done) ended.add(i);
        yield { index: i, token, done };
      }
      const remaining = live.filter((i) => !ended.has(i));
      if (remaining.length !== live.length) {
        live = remaining;
        feedFromHost = true; // another batch size: another graph, whose token buffer the host fills
      }
      // An ended sequence's blocks go back once no step in flight still writes its slots.
      if (!inflight.length) for (const i of ended) cache.blocks.release(seqs[i]!);
    }
  } finally {
    // Steps still in flight (the consumer stopped early, or a step failed) finish before their slots are freed;
    // their errors have nowhere to go.
    await Promise.allSettled(inflight.map((s) => s.result));
    for (const seq of seqs) cache.blocks.release(seq);
  }
}
