// The LLM passes. Prefill: one sequence's prompt (image features scattered over its IMG_CONTEXT rows),
// keys/values into the paged cache, logits of the last position. Decode: one token for each of B live
// sequences; its graph is recorded once per batch size and replayed every step with new block tables and
// sequence lengths in one small input buffer (the tokens stay on the GPU) — no graph, bind group or pipeline is
// rebuilt.
import { Graph } from '../runtime/graph.js';
import { argmax } from '../runtime/ops/argmax.js';
import { sliceRows } from '../runtime/ops/cast_copy.js';
import { checkTokenIds, embedding } from '../runtime/ops/embedding.js';
import { rmsNorm } from '../runtime/ops/rms_norm.js';
import { SAMPLE_NO_ID, SAMPLE_SETTINGS, sample } from '../runtime/ops/sample.js';
import { scatterRows } from '../runtime/ops/scatter_rows.js';
import { type Plan, compilePlan } from '../runtime/plan.js';
import { type Tensor, makeTensor } from '../runtime/tensor.js';
import { createTensor } from '../runtime/upload.js';
import { type KvCache, decodeStep, extendStep, prefillStep } from './kv_cache.js';
import type { LoadedModel } from './load.js';
import { lmHead } from './decoder.js';

export interface PrefillResult {
  /** f32 [V]: logits at the last prompt position. */
  readonly logits: Float32Array;
  readonly gpuMs: number;
  readonly captures: Map<string, Float32Array>;
}

export interface PrefillOptions {
  /** f32 [n · 256, H] image features for the IMG_CONTEXT positions after the cached prefix, in order. */
  readonly imageFeatures?: Tensor;
  /**
   * Leading tokens of `ids` whose keys and values the sequence already holds (a reused prefix, attached to it with
   * KvBlockManager.attachPrefix): only the rest is computed, attending to the cache through the block table.
   */
  readonly cachedTokens?: number;
  readonly capture?: readonly string[];
}

/**
 * Learnt prefill GPU ms per prompt token, per model and prompt-length octave (a prefill has a large fixed cost —
 * lm_head, 24 layers of launches — so a 1-token prompt says nothing about a 3000-token one): a new prefill plan
 * sleeps ≈ L × that before awaiting instead of busy-polling.
 */
const prefillMsPerToken = new WeakMap<LoadedModel, Map<number, number>>();

function prefillEstimate(m: LoadedModel, L: number): { octave: number; perToken: Map<number, number> } {
  let perToken = prefillMsPerToken.get(m);
  if (!perToken) prefillMsPerToken.set(m, (perToken = new Map()));
  return { octave: Math.ceil(Math.log2(L + 1)), perToken };
}

/** Prefill sequence `seq` (already registered in the cache's block manager by the caller's append). */
export async function prefill(m: LoadedModel, cache: KvCache, seq: number, allIds: Uint32Array, options: PrefillOptions = {}): Promise<PrefillResult> {
  const { gpu, config } = m;
  const c = config.llm_config;
  const cached = options.cachedTokens ?? 0;
  const ids = allIds.subarray(cached);
  const L = ids.length;
  if (L === 0) throw new Error('[prefill] empty prompt (or nothing after the cached prefix)');
  checkTokenIds(ids, c.vocab_size);
  const imageRows = imageContextRows(ids, m.imageContextId);
  const featureRows = options.imageFeatures?.shape[0] ?? 0;
  if (imageRows.length !== featureRows) {
    throw new Error(`[prefill] the prompt has ${imageRows.length} <IMG_CONTEXT> tokens but ${featureRows} image feature rows were given`);
  }
  const start = cache.blocks.has(seq) ? cache.blocks.length(seq) : 0;
  if (start !== cached) throw new Error(`[prefill] sequence ${seq} holds ${start} tokens, expected the ${cached} cached ones`);
  const slots = cache.blocks.append(seq, L);
  const positions = Uint32Array.from({ length: L }, (_, i) => cached + i);

  const g = new Graph(gpu.limits, gpu.profile);
  const width = cache.blocks.blocksFor(cached + L);
  const inputs = {
    ids: createTensor(gpu, 'input_ids', [L], 'u32', 'input'),
    positions: createTensor(gpu, 'positions', [L], 'u32', 'input'),
    slots: createTensor(gpu, 'slots', [L], 'u32', 'input'),
    rows: imageRows.length ? createTensor(gpu, 'image_rows', [imageRows.length], 'u32', 'input') : undefined,
    blockTables: cached ? createTensor(gpu, 'block_tables', [L, width], 'u32', 'input') : undefined,
    seqLens: cached ? createTensor(gpu, 'seq_lens', [L], 'u32', 'input') : undefined,
  };
  let embeds = embedding(g, m.llm.embedTokens, inputs.ids, inputs.rows ? 'llm.embed_tokens' : 'llm.embeddings');
  if (inputs.rows && options.imageFeatures) embeds = scatterRows(g, embeds, options.imageFeatures, inputs.rows, 'llm.embeddings');
  const attend = inputs.blockTables && inputs.seqLens
    ? extendStep(cache, inputs.positions, inputs.slots, { blockTables: inputs.blockTables, seqLens: inputs.seqLens }, cached + L)
    : prefillStep(cache, inputs.positions, inputs.slots, cached + L);
  const h = m.llm.layers(g, embeds, attend);
  const normed = rmsNorm(g, h, m.llm.finalNorm.weight, m.llm.finalNorm.eps, 'llm.norm');
  const logits = lmHead(g, m.llm, sliceRows(g, normed, L - 1, 1, 'llm.last'));
  const captured = (options.capture ?? []).map((n) => g.get(n));
  const estimate = prefillEstimate(m, L);
  const wait = { expectedMs: (estimate.perToken.get(estimate.octave) ?? 0) * L };
  const plan = compilePlan(gpu, g, { keep: [logits, ...captured], label: `prefill[${L}]`, wait });
  const t0 = performance.now();
  const data: [Tensor, ArrayBufferView][] = [[inputs.ids, ids], [inputs.positions, positions], [inputs.slots, slots]];
  if (inputs.rows) data.push([inputs.rows, imageRows]);
  if (inputs.blockTables && inputs.seqLens) {
    const row = cache.blocks.blockTable(seq, width);
    const tables = new Uint32Array(L * width);
    for (let i = 0; i < L; i++) tables.set(row, i * width);
    data.push([inputs.blockTables, tables], [inputs.seqLens, Uint32Array.from({ length: L }, (_, i) => cached + i + 1)]);
  }
  const read = await plan.run({ inputs: data, read: [logits, ...captured] });
  const gpuMs = performance.now() - t0;
  estimate.perToken.set(estimate.octave, wait.expectedMs / L);
  plan.destroy();
  for (const t of Object.values(inputs)) t?.storage?.buffer.destroy();
  const captures = new Map<string, Float32Array>();
  for (const t of captured) captures.set(t.name, new Float32Array(read.get(t.name)!));
  return { logits: new Float32Array(read.get(logits.name)!), gpuMs, captures };
}

export function imageContextRows(ids: ArrayLike<number>, imageContextId: number): Uint32Array {
  const rows: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === imageContextId) rows.push(i);
  return Uint32Array.from(rows);
}

/**
 * How a decode step picks its tokens: 'argmax' on the GPU (greedy), 'sample' on the GPU (runtime/ops/sample.ts:
 * temperature, top-k ≤ 256, top-p, repetition penalty), or 'host' (logits read back, runtime/sampler.ts).
 * The GPU paths read back 4 bytes per sequence; 'host' reads V floats, which is cheaper on lavapipe, where
 * the GPU sampler's sorts cost more than the copy.
 */
export type TokenPicker = 'argmax' | 'sample' | 'host';

/** A recorded decode step for B sequences whose contexts are at most `context` tokens. */
export interface DecodeGraph {
  readonly batch: number;
  readonly picker: TokenPicker;
  /** The longest context (prompt + generated, this step's token included) the graph attends over. */
  readonly context: number;
  readonly plan: Plan;
  readonly inputs: { blockTables: Tensor; seqLens: Tensor; settings?: Tensor; prevIds?: Tensor };
  /**
   * u32 [B], state, shared by every graph of this batch size (the engine owns it): the token each sequence feeds
   * in. The step's argmax/sampler writes its choice here, so the next step — of this graph or of the next context
   * bucket's — reads it on the GPU and can be submitted before this one's token is read back; the host writes it
   * only for the first step of a batch and with the 'host' picker. Only these 4 bytes per sequence come back.
   */
  readonly tokens: Tensor;
  /** f32 [B, V] */
  readonly logits: Tensor;
  readonly tableWidth: number;
  /**
   * Block tables and seq lens live in one buffer (each at an aligned offset) behind this u32 tensor, so a step
   * writes them with one writeBuffer from `staging` (reused every step). The new token's position is its seq
   * len − 1 and its cache slot that position's row in the block table: the attention derives both.
   */
  readonly packed: { readonly tensor: Tensor; readonly staging: Uint32Array; readonly words: { blockTables: number; seqLens: number } };
  destroy(): void;
}

/**
 * The decode graph for `batch` sequences of contexts up to `context` tokens (≤ the cache's maxSeqLen): the
 * attention's split-K is sized for that context, so short contexts run without a combine pass.
 */
export function buildDecodeGraph(m: LoadedModel, cache: KvCache, batch: number, picker: TokenPicker, context: number, tokens: Tensor): DecodeGraph {
  const { gpu } = m;
  const tableWidth = Math.ceil(cache.maxSeqLen / cache.blocks.blockSize);
  // The per-step u32 inputs share one buffer: one writeBuffer per step.
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  const layout = { blockTables: [batch, tableWidth], seqLens: [batch] } as const;
  const words = { blockTables: 0, seqLens: 0 };
  let bytes = 0;
  for (const key of Object.keys(layout) as (keyof typeof layout)[]) {
    words[key] = bytes / 4;
    bytes += Math.ceil((4 * layout[key].reduce((a, b) => a * b, 1)) / align) * align;
  }
  const packedBuffer = gpu.device.createBuffer({ label: 'decode.inputs', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  const view = (name: string, key: keyof typeof layout) =>
    makeTensor(name, layout[key], 'u32', 'input', { buffer: packedBuffer, offset: 4 * words[key], size: 4 * layout[key].reduce((a, b) => a * b, 1) });
  const packed = { tensor: makeTensor('decode.inputs', [bytes / 4], 'u32', 'input', { buffer: packedBuffer, offset: 0, size: bytes }), staging: new Uint32Array(bytes / 4), words };
  const inputs = {
    blockTables: view('decode.block_tables', 'blockTables'),
    seqLens: view('decode.seq_lens', 'seqLens'),
    ...(picker === 'sample' && {
      settings: createTensor(gpu, 'decode.sample_settings', [batch, SAMPLE_SETTINGS], 'f32', 'input'),
      prevIds: createTensor(gpu, 'decode.prev_ids', [batch, cache.maxSeqLen], 'u32', 'input'),
    }),
  };
  if (tokens.shape[0] !== batch) throw new Error(`[decode] the token buffer holds ${tokens.shape[0]} sequences, the graph ${batch}`);
  if (!(context >= 1 && context <= cache.maxSeqLen)) throw new Error(`[decode] context ${context} must be 1..${cache.maxSeqLen}`);
  const g = new Graph(gpu.limits, gpu.profile);
  const embeds = embedding(g, m.llm.embedTokens, tokens, 'llm.embeddings');
  const h = m.llm.layers(g, embeds, decodeStep(cache, inputs, context));
  const logits = lmHead(g, m.llm, h, m.llm.finalNorm);
  if (picker === 'argmax') argmax(g, logits, 'next_token', tokens);
  if (picker === 'sample') sample(g, logits, inputs.settings!, inputs.prevIds!, 'next_token', tokens);
  // Encoded ahead: a decode step replays this plan with the same read, step after step.
  const plan = compilePlan(gpu, g, { keep: [logits], label: `decode[${batch}, ${picker}, ≤${context}]`, encodeAhead: true });
  return {
    batch,
    picker,
    context,
    plan,
    inputs,
    tokens,
    logits,
    tableWidth,
    packed,
    destroy() {
      plan.destroy();
      for (const t of Object.values(inputs)) t?.storage?.buffer.destroy(); // the packed buffer more than once: harmless
    },
  };
}

export interface DecodeResult {
  /** The GPU's choice per sequence ('argmax'/'sample' graphs); empty for 'host'. */
  readonly tokens: Uint32Array;
  /** f32 [B, V] for 'host' graphs. */
  readonly logits?: Float32Array;
  /** Submit → results on the host. */
  readonly gpuMs: number;
  /** Host JS of the step before its work reaches the GPU: input prep, writes, encode (unless encoded ahead), submit. */
  readonly hostMs: number;
  /** Host JS after the submit, encoding the next step while the GPU works (the plan's encodeAhead). */
  readonly aheadMs: number;
}

/** Per-step sampling inputs of a 'sample' graph: packed settings and each sequence's generated ids so far. */
export interface SampleInputs {
  readonly settings: Float32Array;
  readonly previous: readonly (readonly number[])[];
}

/**
 * One decode step: sequence `seqs[i]` takes one more token at its next position and the step returns the next
 * token of every sequence. The fed-in tokens are `tokens` when given (written to the GPU), else the ones the
 * graph's previous step chose, still on the GPU — so a caller may submit the next step before awaiting this one.
 * Everything up to the submit runs synchronously when decode() is called: the cache slots are taken then (and
 * the call throws cleanly when the pool is full).
 */
export function decode(cache: KvCache, graph: DecodeGraph, seqs: readonly number[], tokens?: readonly number[], sampling?: SampleInputs): Promise<DecodeResult> {
  const t0 = performance.now();
  const B = graph.batch;
  if (seqs.length !== B || (tokens && tokens.length !== B)) throw new Error(`[decode] graph is for ${B} sequences, got ${seqs.length}`);
  const { inputs, packed } = graph;
  const w = packed.words;
  const width = graph.tableWidth;
  const st = packed.staging; // reused: writeBuffer copies the data when it is called
  for (let i = 0; i < B; i++) {
    const seq = seqs[i]!;
    const pos = cache.blocks.length(seq);
    // graph.context ≤ cache.maxSeqLen (buildDecodeGraph checks), so this also keeps a sequence within the cache.
    if (pos + 1 > graph.context) throw new Error(`[decode] sequence ${seq} would reach ${pos + 1} tokens; this graph attends over at most ${graph.context}`);
    cache.blocks.append(seq, 1);
    st[w.seqLens + i] = pos + 1;
    st.set(cache.blocks.blockTable(seq, width), w.blockTables + i * width);
  }
  const data: [Tensor, ArrayBufferView][] = [[packed.tensor, st]];
  if (tokens) data.push([graph.tokens, Uint32Array.from(tokens)]);
  else if (graph.picker === 'host') throw new Error('[decode] a host-sampling graph needs the tokens from the host');
  if (graph.picker === 'sample') {
    if (!sampling) throw new Error('[decode] a sampling graph needs sampling inputs');
    const prevWidth = inputs.prevIds!.shape[1]!;
    const prev = new Uint32Array(B * prevWidth).fill(SAMPLE_NO_ID);
    sampling.previous.forEach((ids, b) => prev.set(ids.slice(-prevWidth), b * prevWidth));
    data.push([inputs.settings!, sampling.settings], [inputs.prevIds!, prev]);
  }
  const onHost = graph.picker === 'host';
  const prepMs = performance.now() - t0;
  const run = graph.plan.run({ inputs: data, read: [onHost ? graph.logits : graph.tokens] });
  const hostMs = prepMs + graph.plan.lastHostMs; // run() writes, encodes (unless ahead) and submits synchronously
  const aheadMs = graph.plan.lastAheadMs;
  return run.then((out) => ({
    tokens: onHost ? new Uint32Array(0) : new Uint32Array(out.get(graph.tokens.name)!),
    ...(onHost && { logits: new Float32Array(out.get(graph.logits.name)!) }),
    gpuMs: performance.now() - t0,
    hostMs,
    aheadMs,
  }));
}
