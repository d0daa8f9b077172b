// Continuous batching: one scheduler per engine owns the GPU's generation work. Every chat, stream, batchChat
// and completion call becomes a sequence here; sequences join the running decode batch at the next step and
// leave it the step they end (end-of-turn token, max_new_tokens, a stop string, an abort), and their KV blocks
// go back as soon as no step in flight still writes them.
//
// Each round: admit waiting sequences in arrival order while the cache can hold every admitted sequence at its
// full length (prompt + max_new_tokens) — their vision pass and prefill run then, within a token budget so
// that running streams keep flowing — then one decode step of every live sequence together (one replayed graph
// per batch size, no padding). Each sequence keeps its own sampling settings and seeded random stream, so its
// tokens do not depend on what else is in the batch. Browser-safe.
import { sha256Hex } from '../loader/sha256.js';
import { packSampleSettings } from '../runtime/ops/sample.js';
import { type SamplingOptions, sampleToken, seededRandom, validateSampling } from '../runtime/sampler.js';
import type { Tensor } from '../runtime/tensor.js';
import {
  type Engine,
  type GenerationHooks,
  type GenerationOptions,
  type GenerationStats,
  type SequenceRequest,
  type TokenEvent,
  decodeGraphFor,
  newStats,
  tokenPicker,
} from './generate.js';
import { type DecodeResult, type TokenPicker, decode, prefill } from './llm_pass.js';
import { stopTokenId } from './load.js';
import { featureRowsFrom } from './vision_pass.js';

/** What a sequence needs before its prefill: its image features (computed in the scheduler's turn). */
export interface Prepared {
  readonly imageFeatures?: Tensor;
  /** Frees what `prepare` made, once the prefill has used it. */
  release(): void;
}

export interface Job {
  readonly ids: Uint32Array;
  readonly options?: GenerationOptions;
  /**
   * GPU work before the prefill, e.g. the vision pass; it runs while the batch decodes, its submissions interleaved
   * with the decode steps on the GPU queue. `busy`: other sequences are decoding, so keep each submission short.
   */
  readonly prepare?: (signal: AbortSignal, busy: boolean) => Promise<Prepared | undefined>;
  readonly imageFeatures?: Tensor;
  /**
   * The content key of the images the prompt's <IMG_CONTEXT> tokens show (feature_cache.ts pixelKey): with it,
   * prompt blocks holding image tokens can be reused by prompts showing the same images; without, only the
   * blocks before the first image token.
   */
  readonly imageKey?: string;
  /** Named prefill intermediates to read back (parity). */
  readonly capture?: readonly string[];
  onPrefill?(logits: Float32Array, captures: Map<string, Float32Array>): void;
  /** Every generated token in order; `done` on the last one (the eos token included). 'stop' ends the sequence here. */
  onToken(token: number, done: boolean): void | 'stop';
  /** Cancels the sequence: waiting, it leaves the queue; running, it leaves the batch at the next step. */
  readonly signal?: AbortSignal;
  readonly stats?: GenerationStats;
}

export interface SchedulerOptions {
  /** Sequences decoded together at most (default 32). */
  readonly maxBatch?: number;
  /** Prompt tokens prefilled per round while other sequences are decoding (default 2048; at least one sequence). */
  readonly prefillBudget?: number;
  /** Sequences that may wait for admission; beyond, submit fails with a "busy" error (default 1024). */
  readonly maxWaiting?: number;
}

export interface Scheduler {
  /** Resolves when the sequence has ended and its blocks are free; rejects on abort or failure. */
  submit(job: Job): Promise<void>;
  /** Sequences waiting for admission and decoding now. */
  readonly waiting: number;
  readonly running: number;
  /** Rejects waiting sequences and stops running ones with `reason`; resolves once the loop has stopped. */
  close(reason: Error): Promise<void>;
}

interface Sequence {
  readonly job: Job;
  readonly seq: number;
  readonly options: GenerationOptions;
  readonly maxNew: number;
  readonly eos: ReadonlySet<number>;
  readonly random: () => number;
  readonly picker: TokenPicker;
  readonly stats: GenerationStats;
  readonly generated: number[];
  /** Prefix-cache keys of the prompt's full blocks (block i: everything up to its end). */
  readonly hashes: readonly string[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  /** Set once the sequence has ended or failed: it takes no more tokens. */
  outcome?: { error?: unknown };
  /** Leading prompt tokens taken from the prefix cache (its blocks attached at admission). */
  cachedTokens?: number;
  /** The vision pass of an admitted sequence, running while the batch decodes; then its result. */
  preparing?: Promise<void>;
  prepared?: Prepared;
}

const schedulers = new WeakMap<Engine, Scheduler>();

/** The engine's scheduler (created on first use). */
export function schedulerOf(engine: Engine, options: SchedulerOptions = {}): Scheduler {
  let s = schedulers.get(engine);
  if (!s) schedulers.set(engine, (s = createScheduler(engine, options)));
  return s;
}

/**
 * Keys of a prompt's full blocks for the prefix cache, a hash chain: block i's key covers every token up to its
 * end and, for blocks with image tokens, which images they show. Stops at an image block without an image key.
 */
export function prefixHashes(ids: Uint32Array, blockSize: number, imageContextId: number, imageKey: string | undefined): string[] {
  const hashes: string[] = [];
  let previous = '';
  const encoder = new TextEncoder();
  for (let b = 0; (b + 1) * blockSize <= ids.length; b++) {
    const block = ids.subarray(b * blockSize, (b + 1) * blockSize);
    const image = block.includes(imageContextId);
    if (image && imageKey === undefined) break;
    const head = encoder.encode(`${previous}|${image ? imageKey : ''}|`);
    const bytes = new Uint8Array(head.length + block.byteLength);
    bytes.set(head);
    bytes.set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), head.length);
    hashes.push((previous = sha256Hex(bytes)));
  }
  return hashes;
}


/** The batch's token picker: GPU argmax when every sequence is greedy, else the sampler its sequences need. */
function batchPicker(live: readonly Sequence[]): TokenPicker {
  if (live.some((s) => s.picker === 'host')) return 'host';
  return live.some((s) => s.picker === 'sample') ? 'sample' : 'argmax';
}

export function createScheduler(engine: Engine, o: SchedulerOptions = {}): Scheduler {
  const { cache, model } = engine;
  const maxBatch = o.maxBatch ?? 32;
  const prefillBudget = o.prefillBudget ?? 2048;
  const maxWaiting = o.maxWaiting ?? 1024;
  const c = model.config.llm_config;
  // One prefill pass holds the whole prompt: its widest activation, [L, intermediate_size] f32, must fit a binding.
  const maxPrompt = Math.floor(model.gpu.limits.maxStorageBufferBindingSize / (4 * Math.max(c.intermediate_size, c.hidden_size * 3)));
  const V = c.vocab_size;
  const imageContextId = model.imageContextId;
  const countImageTokens = (ids: Uint32Array) => ids.reduce((n, id) => n + (id === imageContextId ? 1 : 0), 0);
  const defaultEos = stopTokenId(model);
  const waiting: Sequence[] = [];
  let live: Sequence[] = [];
  /** Admitted sequences whose vision pass runs (interleaved with decode steps on the GPU queue) before their prefill. */
  let preparing: Sequence[] = [];
  const inflight: { batch: readonly Sequence[]; picker: TokenPicker; result: Promise<DecodeResult> }[] = [];
  const toRelease = new Set<Sequence>();
  /** The first step of a batch takes its tokens from the host (and every 'host' step); later ones from the GPU. */
  let feedFromHost = true;
  let lastDone = 0;
  let loop: Promise<void> | undefined;
  let closed: Error | undefined;

  /** Ends a sequence: it takes no more tokens; its blocks go back once no step in flight writes them. */
  function finish(s: Sequence, error?: unknown): void {
    if (s.outcome) return;
    s.outcome = error === undefined ? {} : { error };
    toRelease.add(s);
    releaseIdle();
    if (error === undefined) s.resolve();
    else s.reject(error);
  }

  function releaseIdle(): void {
    if (inflight.length) return;
    for (const s of toRelease) cache.blocks.release(s.seq);
    toRelease.clear();
  }

  const demandOf = (seqs: readonly Sequence[]) => new Map(seqs.map((s) => [s.seq, s.job.ids.length + s.maxNew]));

  /** Drops ended sequences from the batch. */
  function pruneLive(): void {
    const remaining = live.filter((s) => !s.outcome);
    if (remaining.length === live.length) return;
    live = remaining;
    feedFromHost = true; // another batch: another graph, whose token buffer the host fills
  }

  /**
   * The cached blocks a sequence can start from: the longest registered run of its prompt's keys, leaving at least
   * one token to prefill, cut back before the images when the image features after it could not be bound.
   */
  function prefixOf(s: Sequence): number[] {
    const { blockSize } = cache.blocks;
    const ids = s.job.ids;
    let hit = cache.blocks.lookup(s.hashes.slice(0, Math.floor((ids.length - 1) / blockSize)));
    const inPrefix = countImageTokens(ids.subarray(0, hit.length * blockSize));
    const total = countImageTokens(ids);
    if (inPrefix > 0 && inPrefix < total) {
      const rowBytes = model.config.llm_config.hidden_size * 4;
      if ((inPrefix * rowBytes) % model.gpu.limits.minStorageBufferOffsetAlignment !== 0) hit = hit.slice(0, Math.floor(ids.indexOf(imageContextId) / blockSize));
    }
    return hit;
  }

  const signalOf = (s: Sequence) => s.job.signal ?? new AbortController().signal;
  const imagesCachedOf = (s: Sequence) => countImageTokens(s.job.ids.subarray(0, s.cachedTokens ?? 0));

  /** Takes the sequence's prefix blocks; true when image tokens remain to be prefilled and need its vision pass. */
  function start(s: Sequence, prefix: readonly number[]): boolean {
    if (prefix.length) cache.blocks.attachPrefix(s.seq, prefix);
    s.cachedTokens = prefix.length * cache.blocks.blockSize;
    return s.job.prepare !== undefined && imagesCachedOf(s) < countImageTokens(s.job.ids);
  }

  /** Starts the vision pass without waiting for it: decode steps go on meanwhile. */
  function startPreparing(s: Sequence): void {
    preparing = [...preparing, s];
    s.preparing = (async () => {
      try {
        s.prepared = await s.job.prepare!(signalOf(s), live.length > 0);
      } catch (e) {
        finish(s, e);
      }
      if (s.outcome) s.prepared?.release(); // ended while its pass ran (aborted, model closed)
    })();
  }

  /** Prefill (of the part not in the prefix cache), the first token, and a place in the batch. */
  async function prefillAndJoin(s: Sequence): Promise<void> {
    const prepared = s.prepared;
    try {
      signalOf(s).throwIfAborted();
      const ids = s.job.ids;
      const cachedTokens = s.cachedTokens ?? 0;
      const imagesCached = imagesCachedOf(s);
      const t0 = performance.now();
      const all = prepared?.imageFeatures ?? s.job.imageFeatures;
      const features = all && imagesCached ? featureRowsFrom(model, all, imagesCached) : all;
      const { logits, captures } = await prefill(model, cache, s.seq, ids, {
        cachedTokens,
        ...(features && { imageFeatures: features }),
        ...(s.job.capture && { capture: s.job.capture }),
      });
      cache.blocks.register(s.seq, s.hashes);
      s.stats.prefillMs += performance.now() - t0;
      s.stats.prefillTokens += ids.length - cachedTokens;
      s.stats.cachedPromptTokens += cachedTokens;
      s.job.onPrefill?.(logits.slice(), captures);
      const token = sampleToken(logits, s.options, s.generated, s.random);
      emit(s, token);
      if (!s.outcome) (live = [...live, s]), (feedFromHost = true);
    } catch (e) {
      finish(s, e);
    } finally {
      prepared?.release();
    }
  }

  function emit(s: Sequence, token: number): void {
    s.generated.push(token);
    const done = s.eos.has(token) || s.generated.length >= s.maxNew;
    let verdict: void | 'stop';
    try {
      verdict = s.job.onToken(token, done);
    } catch (e) {
      return finish(s, e);
    }
    if (done || verdict === 'stop') finish(s);
    else if (s.job.signal?.aborted) finish(s, s.job.signal.reason);
  }

  /**
   * Admits waiting sequences in order while the cache holds them all at full length: those that need a vision pass
   * start it and join once it is done; the others, and those whose pass is done, are prefilled now, within the
   * prefill budget.
   */
  async function admitWaiting(): Promise<void> {
    // Arrivals at an idle scheduler start together (a batch chat); later ones join within the budget.
    const idle = live.length === 0;
    let tokens = 0;
    const budgetLeft = () => idle || tokens < prefillBudget;
    while (waiting.length && live.length + preparing.length < maxBatch && budgetLeft()) {
      const next = waiting[0]!;
      const prefix = prefixOf(next);
      // Ended sequences not yet released hold their blocks (not free), and need no more. Shared prefix blocks need
      // no allocation, but kept ones stop being available once shared.
      const own = cache.blocks.blocksFor(next.job.ids.length + next.maxNew) - prefix.length + cache.blocks.keptAmong(prefix);
      if (!cache.blocks.canHold(demandOf([...live, ...preparing]), own)) break;
      waiting.shift();
      if (start(next, prefix)) {
        startPreparing(next);
        continue;
      }
      tokens += next.job.ids.length - (next.cachedTokens ?? 0);
      await prefillAndJoin(next);
    }
    for (const s of preparing) {
      if (!s.prepared && !s.outcome) continue; // still in its vision pass
      preparing = preparing.filter((p) => p !== s);
      if (s.outcome || !budgetLeft()) {
        if (!s.outcome) preparing = [...preparing, s]; // over budget: next round
        continue;
      }
      tokens += s.job.ids.length - (s.cachedTokens ?? 0);
      await prefillAndJoin(s);
    }
  }

  /** One decode step's results for the batch it ran (submitting more steps first where the profile allows). */
  async function decodeStep(): Promise<void> {
    const picker = batchPicker(live);
    // With the profile's 'submit_ahead' (GPUs), greedy steps run one ahead: step N+1 reads step N's token on the
    // GPU and is submitted before step N's token is read back. A step ahead goes out only for an unchanged batch
    // whose every sequence has room under its max_new_tokens and while nobody waits to join; results of sequences
    // that ended meanwhile are dropped. CPU adapters run 'in_turn' (the host shares the rasteriser's cores).
    const ahead = picker === 'argmax' && model.gpu.profile.variants.decode_pipeline === 'submit_ahead' && !waiting.length && !preparing.length ? 1 : 0;
    const submitAllowed = () =>
      live.length > 0 &&
      inflight.length <= ahead &&
      (inflight.length === 0 || inflight.at(-1)!.batch === live) &&
      live.every((s) => s.generated.length + inflight.length < s.maxNew);
    if (!inflight.length) lastDone = performance.now();
    while (submitAllowed()) {
      const batch = live;
      const longest = Math.max(...batch.map((s) => cache.blocks.length(s.seq))) + 1;
      const graph = decodeGraphFor(engine, batch.length, picker, longest);
      const sampleInputs =
        picker === 'sample'
          ? { settings: packSampleSettings(batch.map((s) => ({ options: s.options, u: s.options.doSample ? s.random() : 0 }))), previous: batch.map((s) => s.generated) }
          : undefined;
      const tokens = feedFromHost || picker === 'host' ? batch.map((s) => s.generated.at(-1)!) : undefined;
      const result = decode(cache, graph, batch.map((s) => s.seq), tokens, sampleInputs);
      if (inflight.length) for (const s of batch) s.stats.stepsAhead++;
      result.catch(() => {}); // a step that fails while an earlier one is awaited is reported when its turn comes
      inflight.push({ batch, picker, result });
      feedFromHost = false;
    }
    const step = inflight.shift()!;
    let out: DecodeResult;
    try {
      out = await step.result;
    } catch (e) {
      for (const s of step.batch) finish(s, e);
      throw e;
    } finally {
      releaseIdle();
    }
    const now = performance.now();
    for (const [b, s] of step.batch.entries()) {
      if (s.outcome) continue;
      s.stats.decodeMs += now - lastDone;
      s.stats.decodeSteps++;
      s.stats.hostMsPerStep.push(out.hostMs);
      s.stats.aheadMsPerStep.push(out.aheadMs);
      s.stats.decodeTokens++;
      const token = step.picker === 'host' ? sampleToken(out.logits!.subarray(b * V, (b + 1) * V), s.options, s.generated, s.random) : out.tokens[b]!;
      emit(s, token);
    }
    lastDone = now;
    releaseIdle();
  }

  async function run(): Promise<void> {
    try {
      await rounds();
    } catch (e) {
      // A bug, not a request's failure: fail everything rather than hang.
      for (const s of [...waiting.splice(0), ...live]) finish(s, e);
      loop = undefined;
    }
  }

  async function rounds(): Promise<void> {
    while (waiting.length || live.length || inflight.length || preparing.length) {
      if (closed) {
        for (const s of [...waiting.splice(0), ...live, ...preparing]) finish(s, closed);
      }
      for (const s of live) if (s.job.signal?.aborted) finish(s, s.job.signal.reason);
      pruneLive();
      if (!inflight.length) await admitWaiting();
      pruneLive();
      if (!live.length && !inflight.length) {
        const running = preparing.filter((p) => !p.prepared && !p.outcome);
        if (running.length && running.length === preparing.length) {
          await Promise.race(running.map((p) => p.preparing)); // nothing to decode: wait for a vision pass
          continue;
        }
        if (waiting.length && !toRelease.size && !preparing.length) {
          // Nothing runs and the head still does not fit: it never will (submit checks this; blocks leaked?).
          finish(waiting.shift()!, new Error('[scheduler] the KV cache cannot hold this sequence'));
        }
        releaseIdle();
        continue;
      }
      try {
        await decodeStep();
      } catch {
        // the sequences of the failed step were rejected with its error; the others go on
      }
    }
    releaseIdle();
    loop = undefined; // in the same tick as the last check for work: a later submit starts a new loop
  }

  function validate(job: Job, maxNew: number): void {
    if (job.ids.length > maxPrompt) {
      throw new Error(`[generation] a prompt of ${job.ids.length} tokens exceeds the ${maxPrompt} tokens one prefill pass can hold on this device (maxStorageBufferBindingSize ${model.gpu.limits.maxStorageBufferBindingSize}); use fewer image tiles or a shorter history`);
    }
    const need = job.ids.length + maxNew;
    if (need > cache.maxSeqLen) {
      throw new Error(`[generation] prompt of ${job.ids.length} tokens + maxNewTokens ${maxNew} = ${need} exceeds the ${cache.maxSeqLen}-token context this model was created with (EngineOptions.maxContext)`);
    }
    // maxSeqLen never exceeds the cache (model/kv_cache.ts), so a sequence that passes can always run alone.
  }

  return {
    get waiting() {
      return waiting.length;
    },
    get running() {
      return live.length;
    },
    submit(job) {
      return new Promise<void>((resolve, reject) => {
        if (closed) throw closed;
        if (waiting.length >= maxWaiting) throw new Error(`[scheduler] busy: ${waiting.length} sequences are waiting for the GPU (maxWaiting ${maxWaiting}); retry later`);
        const options = job.options ?? {};
        validateSampling(options);
        const maxNew = options.maxNewTokens ?? 1024;
        if (!Number.isInteger(maxNew) || maxNew < 1) throw new Error(`[generation] maxNewTokens must be a positive integer, got ${maxNew}`);
        validate(job, maxNew);
        job.signal?.throwIfAborted();
        const eos = new Set(typeof options.eosTokenId === 'number' ? [options.eosTokenId] : (options.eosTokenId ?? [defaultEos]));
        const s: Sequence = {
          job,
          seq: engine.nextSeq++,
          options,
          maxNew,
          eos,
          random: seededRandom(options.seed ?? 0),
          picker: tokenPicker(engine, options as SamplingOptions),
          stats: job.stats ?? newStats(),
          generated: [],
          // A sequence whose prefill intermediates are read back (parity) computes its whole prompt. So does a prompt
          // past LongRoPE's switch: upstream rotates all of it with the long table, cached blocks hold short-table keys.
          hashes: cache.blocks.maxCachedBlocks > 0 && !job.capture && !(cache.long && job.ids.length > cache.long.longFrom) ? prefixHashes(job.ids, cache.blocks.blockSize, imageContextId, job.imageKey) : [],
          resolve,
          reject,
        };
        // A sequence still waiting leaves the queue at once when aborted.
        job.signal?.addEventListener(
          'abort',
          () => {
            const at = waiting.indexOf(s);
            if (at >= 0) waiting.splice(at, 1), finish(s, job.signal!.reason);
          },
          { once: true },
        );
        waiting.push(s);
        loop ??= run();
      });
    },
    async close(reason) {
      closed = reason;
      for (const s of waiting.splice(0)) finish(s, reason);
      for (const s of [...live, ...preparing]) finish(s, reason);
      await loop;
    },
  };
}

/**
 * Generation for a set of requests submitted together, as an event stream (the parity tool, benches and tests):
 * every request is a sequence of the engine's scheduler, and their tokens are yielded as they are produced.
 * Requests are checked before any GPU work: a prompt + max_new_tokens over the context is a clear error.
 */
export async function* generate(engine: Engine, requests: readonly SequenceRequest[], options: GenerationOptions = {}, stats: GenerationStats = newStats(), hooks: GenerationHooks = {}): AsyncGenerator<TokenEvent> {
  const scheduler = schedulerOf(engine);
  const events: TokenEvent[] = [];
  let wake: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  const controller = new AbortController();
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, controller.signal]) : controller.signal;
  const perRequest = requests.map(() => newStats());
  // Checked up front, so that a bad request fails the call before any sequence starts.
  const maxNew = options.maxNewTokens ?? 1024;
  requests.forEach((r, i) => {
    const need = r.ids.length + maxNew;
    if (need > engine.cache.maxSeqLen) {
      throw new Error(`[generation] request ${i}: prompt of ${r.ids.length} tokens + maxNewTokens ${maxNew} = ${need} exceeds the ${engine.cache.maxSeqLen}-token context this model was created with (EngineOptions.maxContext)`);
    }
  });
  if (!engine.cache.blocks.canHold(new Map(requests.map((r, i) => [-1 - i, r.ids.length + maxNew])))) {
    throw new Error(`[generation] ${requests.length} sequences need more KV cache blocks than the ${engine.cache.blocks.usage().freeBlocks} free; lower maxNewTokens, batch fewer questions, or raise EngineOptions.cacheTokens`);
  }
  const done = requests.map((r, index) =>
    scheduler.submit({
      ids: r.ids,
      options,
      ...(r.imageFeatures && { imageFeatures: r.imageFeatures }),
      ...(hooks.capture && { capture: hooks.capture }),
      onPrefill: (logits, captures) => {
        if (hooks.capture) hooks.onPrefillCaptures?.(index, captures);
        hooks.onPrefillLogits?.(index, logits);
      },
      onToken: (token, last) => {
        events.push({ index, token, done: last });
        wake?.();
      },
      signal,
      stats: perRequest[index]!,
    }),
  );
  let finished = false;
  void Promise.all(done).then(
    () => ((finished = true), wake?.()),
    (error: unknown) => ((failure ??= { error }), controller.abort(error), (finished = true), wake?.()),
  );
  try {
    for (;;) {
      while (events.length) yield events.shift()!;
      if (failure) throw failure.error;
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    controller.abort(new Error('[generation] the consumer stopped'));
    await Promise.allSettled(done);
    for (const s of perRequest) {
      stats.prefillMs += s.prefillMs;
      stats.prefillTokens += s.prefillTokens;
      stats.decodeTokens += s.decodeTokens;
      stats.cachedPromptTokens += s.cachedPromptTokens;
      stats.stepsAhead = Math.max(stats.stepsAhead, s.stepsAhead);
      stats.hostMsPerStep.push(...s.hostMsPerStep);
      stats.aheadMsPerStep.push(...s.aheadMsPerStep);
    }
    const longest = perRequest.reduce((a, s) => (s.decodeSteps > a.decodeSteps ? s : a), newStats());
    stats.decodeMs += longest.decodeMs;
    stats.decodeSteps += longest.decodeSteps;
  }
}
