// The workloads on our runtime. Each function returns raw samples (ms or tokens/s); bench/model/run.ts turns
// them into mean ± sd. Production paths are used where a user would see them (generate() for pp/tg/TTFT,
// encodeImages() for TTFT); the ViT and projector are timed on plans built once and replayed, so the smart
// wait can learn the expected duration and the on/off comparison measures the wait alone.
import { numImageToken, patchGrid } from '../../loader/config.js';
import { type Engine, type GenerationOptions, type GenerationStats, newStats } from '../../model/generate.js';
import { generate } from '../../model/scheduler.js';
import { visionModel } from '../../model/intern_vit.js';
import { projector } from '../../model/projector.js';
import type { DecodeGraph } from '../../model/llm_pass.js';
import type { LoadedModel } from '../../model/load.js';
import { encodeImages, tilesPerPass } from '../../model/vision_pass.js';
import { chatPrompt } from '../../model/conversation.js';
import { conversationTemplate } from '../../model/templates.js';
import { Graph } from '../../runtime/graph.js';
import { type Plan, compilePlan } from '../../runtime/plan.js';
import { timePlan } from '../../runtime/profile.js';
import type { Tensor } from '../../runtime/tensor.js';
import { createTensor } from '../../runtime/upload.js';
import { setSmartWait, smartWaitEnabled } from '../../runtime/wait.js';

export type Log = (msg: string) => void;

/** A deterministic pseudo-random generator (xorshift32) for token ids and pixels. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Ordinary token ids of the model's vocabulary (no special or image token), seeded. */
export function randomTokens(m: LoadedModel, n: number, seed: number): Uint32Array {
  const r = rng(seed);
  const V = Math.min(m.config.llm_config.vocab_size, m.tokenizer.vocabSize);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; ) {
    const id = Math.floor(r() * V);
    if (!m.tokenizer.isSpecial(id) && id !== m.imageContextId) out[i++] = id;
  }
  return out;
}

export function randomPixels(m: LoadedModel, tiles: number, seed = 7): Float32Array {
  const S = m.config.force_image_size;
  const r = rng(seed);
  return Float32Array.from({ length: tiles * 3 * S * S }, () => (r() - 0.5) * 4);
}

/** The chat() prompt for one image of T tiles and a short question (system message, template, image tokens). */
export function imagePromptIds(m: LoadedModel, tiles: number, question: string): Uint32Array {
  const { prompt } = chatPrompt({ template: conversationTemplate(m.config.template), question, numPatchesList: [tiles], numImageToken: numImageToken(m.config) });
  return Uint32Array.from(m.tokenizer.encodePrompt(prompt));
}

/** No token id equals this, so generation never stops early. */
const NEVER = 0x7fffffff;

async function drain(engine: Engine, ids: Uint32Array, maxNewTokens: number, stats: GenerationStats, imageFeatures?: Tensor) {
  const opts: GenerationOptions = { maxNewTokens, eosTokenId: NEVER };
  let first = 0;
  const t0 = performance.now();
  for await (const e of generate(engine, [{ ids, ...(imageFeatures && { imageFeatures }) }], opts, stats)) {
    if (!first) first = performance.now() - t0;
    void e;
  }
  return { firstMs: first, totalMs: performance.now() - t0 };
}

export interface DecodeSamples {
  tokensPerS: number[];
  hostMsPerStep: number[];
  /** Host ms per step spent after the submit encoding the next step (overlapping the GPU's work). */
  aheadMsPerStep: number[];
  /** Wall ms per step minus host ms (waiting for the GPU, readback included). */
  waitMsPerStep: number[];
  wallMsPerStep: number[];
}

/** tg<N>: N decode steps after a 1-token prompt, through generate() (replayed decode graph). */
export async function decodeRun(engine: Engine, newTokens: number, seed: number): Promise<{ rate: number; stats: GenerationStats }> {
  const stats = newStats();
  await drain(engine, randomTokens(engine.model, 1, seed), newTokens + 1, stats);
  return { rate: stats.decodeTokens / (stats.decodeMs / 1e3), stats };
}

export async function decodeBench(engine: Engine, newTokens: number, reps: number, warmup: number, compareSmart: boolean, log: Log) {
  const on: DecodeSamples = { tokensPerS: [], hostMsPerStep: [], aheadMsPerStep: [], waitMsPerStep: [], wallMsPerStep: [] };
  const off: number[] = [];
  const was = smartWaitEnabled;
  try {
    for (let i = 0; i < warmup + reps; i++) {
      // Interleave on/off so a drift in machine load hits both alike.
      for (const smart of compareSmart && i >= warmup ? [true, false] : [true]) {
        setSmartWait(smart);
        const { rate, stats } = await decodeRun(engine, newTokens, 100 + i);
        log(`tg${newTokens} ${i < warmup ? 'warm-up' : `rep ${i - warmup + 1}`} smart wait ${smart ? 'on' : 'off'}: ${rate.toFixed(2)} tok/s`);
        if (i < warmup) continue;
        if (!smart) {
          off.push(rate);
          continue;
        }
        on.tokensPerS.push(rate);
        const wall = stats.decodeMs / stats.decodeSteps;
        const host = stats.hostMsPerStep.reduce((a, b) => a + b, 0) / stats.hostMsPerStep.length;
        on.hostMsPerStep.push(host);
        on.aheadMsPerStep.push(stats.aheadMsPerStep.reduce((a, b) => a + b, 0) / stats.aheadMsPerStep.length);
        on.wallMsPerStep.push(wall);
        on.waitMsPerStep.push(wall - host);
      }
    }
  } finally {
    setSmartWait(was);
  }
  return { on, off };
}

/** The batch-1 greedy decode graph generate() recorded (keyed by batch, or by batch and token picker). */
export function decodeGraphOf(engine: Engine): DecodeGraph | undefined {
  return [...engine.decodeGraphs.values()].find((g) => g.batch === 1);
}

/** GPU time of one decode step by timestamp queries (replaying the last step's inputs), if the adapter has them. */
export async function decodeGpuMs(engine: Engine, reps: number): Promise<{ method: string; ms: number[] } | null> {
  const g = decodeGraphOf(engine);
  if (!g) return null;
  const r = await timePlan(engine.model.gpu, g.plan, reps, 1);
  return r.method === 'timestamp' ? r : null;
}

/** pp<N>: prefill of N random tokens through generate() (maxNewTokens 1: prefill + the first token). */
export async function prefillBench(engine: Engine, tokens: number, reps: number, warmup: number, log: Log): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const stats = newStats();
    await drain(engine, randomTokens(engine.model, tokens, 200 + i), 1, stats);
    const rate = stats.prefillTokens / (stats.prefillMs / 1e3);
    log(`pp${tokens} ${i < warmup ? 'warm-up' : `rep ${i - warmup + 1}`}: ${rate.toFixed(1)} tok/s (${stats.prefillMs.toFixed(0)} ms)`);
    if (i >= warmup) out.push(rate);
  }
  return out;
}

/** The vision graph of encodeImages for B tiles, optionally without the projector; built once, replayed. */
export interface VisionPlan {
  readonly tiles: number;
  readonly plan: Plan;
  readonly input: Tensor;
  run(pixels: Float32Array): Promise<number>;
  destroy(): void;
}

/** A timed single-input plan (the plan, its input tensor, and a run that returns wall ms). */
function timedPlan(tiles: number, plan: Plan, input: Tensor): VisionPlan {
  return {
    tiles,
    plan,
    input,
    async run(values) {
      const t0 = performance.now();
      await plan.run({ inputs: [[input, values]] });
      return performance.now() - t0;
    },
    destroy() {
      plan.destroy();
      input.storage?.buffer.destroy();
    },
  };
}

export function buildVisionPlan(m: LoadedModel, B: number, withProjector: boolean, layers?: number): VisionPlan {
  const { gpu, config, weights } = m;
  const S = config.force_image_size;
  const g = new Graph(gpu.limits, gpu.profile);
  const input = createTensor(gpu, 'pixel_values', [B, 3, S, S], 'f32', 'input');
  const all = weights.vision_model.encoder.layers;
  const vw = layers !== undefined && layers < all.length ? { ...weights.vision_model, encoder: { layers: all.slice(0, layers) } } : weights.vision_model;
  let out = visionModel(g, vw, config.vision_config, input, S);
  if (withProjector) out = projector(g, weights.mlp1, out, B, patchGrid(config));
  return timedPlan(B, compilePlan(gpu, g, { keep: [out], label: `bench.vision[${B}]${withProjector ? '+projector' : ''}` }), input);
}

/** The projector alone on B tiles' worth of vision output (an input tensor in place of the ViT). */
export function buildProjectorPlan(m: LoadedModel, B: number): VisionPlan {
  const { gpu, config, weights } = m;
  const grid = patchGrid(config);
  const D = config.vision_config.hidden_size;
  const g = new Graph(gpu.limits, gpu.profile);
  const input = createTensor(gpu, 'vision_out', [B * (grid * grid + 1), D], 'f32', 'input');
  const out = projector(g, weights.mlp1, input, B, grid);
  return timedPlan(B, compilePlan(gpu, g, { keep: [out], label: `bench.projector[${B}]` }), input);
}

/**
 * ViT ms per tile for `tiles` tiles, run in groups of tilesPerPass (as encodeImages does), with and without
 * the smart wait. Returns samples per tile (all groups of one repetition summed, divided by tiles).
 */
export async function vitBench(m: LoadedModel, tiles: number, reps: number, warmup: number, compareSmart: boolean, log: Log, onPlan?: (p: Plan) => void, layers?: number) {
  const group = tilesPerPass(m.gpu, m);
  const total = m.weights.vision_model.encoder.layers.length;
  const run = Math.min(layers ?? total, total);
  const scale = total / run;
  const plans: VisionPlan[] = [];
  for (let start = 0; start < tiles; start += group) plans.push(buildVisionPlan(m, Math.min(group, tiles - start), false, run));
  for (const p of plans) onPlan?.(p.plan);
  // With some layers run, only the layers scale: the embeddings (patchify, patch linear, CLS + positions) are timed on
  // their own and counted once, ViT = embeddings + (run − embeddings) · total / layers run.
  const embeddings = scale > 1 ? plans.map((p) => buildVisionPlan(m, p.tiles, false, 0)) : [];
  const pixels = randomPixels(m, Math.min(group, tiles));
  const on: number[] = [];
  const off: number[] = [];
  const was = smartWaitEnabled;
  try {
    for (let i = 0; i < warmup + reps; i++) {
      for (const smart of compareSmart && i >= warmup ? [true, false] : [true]) {
        setSmartWait(smart);
        let ms = 0;
        let embedMs = 0;
        const S3 = 3 * m.config.force_image_size ** 2;
        for (const p of plans) ms += await p.run(pixels.subarray(0, p.tiles * S3));
        for (const p of embeddings) embedMs += await p.run(pixels.subarray(0, p.tiles * S3));
        ms = embedMs + Math.max(0, ms - embedMs) * scale;
        log(`ViT ${tiles} tile(s) in ${plans.length} pass(es) of ≤${group}${run < total ? `, ${run} of ${total} layers run, scaled` : ''} ${i < warmup ? 'warm-up' : `rep ${i - warmup + 1}`} smart wait ${smart ? 'on' : 'off'}: ${(ms / tiles).toFixed(0)} ms/tile`);
        if (i >= warmup) (smart ? on : off).push(ms / tiles);
      }
    }
  } finally {
    setSmartWait(was);
    for (const p of [...plans, ...embeddings]) p.destroy();
  }
  return { on, off, passes: plans.length, group, layersRun: run, layersTotal: total };
}

export async function projectorBench(m: LoadedModel, reps: number, warmup: number, log: Log, onPlan?: (p: Plan) => void): Promise<number[]> {
  const p = buildProjectorPlan(m, 1);
  onPlan?.(p.plan);
  const values = randomPixels(m, 1).subarray(0, p.input.shape[0]! * p.input.shape[1]!);
  const out: number[] = [];
  try {
    for (let i = 0; i < warmup + reps; i++) {
      const ms = await p.run(values);
      if (i >= warmup) out.push(ms);
    }
  } finally {
    p.destroy();
  }
  log(`projector 1 tile: ${out.map((x) => x.toFixed(1)).join(', ')} ms`);
  return out;
}

export interface TtftSample {
  ms: number;
  visionMs: number;
  prefillMs: number;
  promptTokens: number;
}

/** TTFT for one image of T tiles: encodeImages (as chat() does: plans built per request) + prefill + first token. */
export async function ttftBench(engine: Engine, tiles: number, question: string, reps: number, log: Log): Promise<TtftSample[]> {
  const m = engine.model;
  const ids = imagePromptIds(m, tiles, question);
  const pixels = randomPixels(m, tiles, 11);
  const out: TtftSample[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const vision = await encodeImages(m, pixels, tiles);
    const visionMs = performance.now() - t0;
    const stats = newStats();
    try {
      await drain(engine, ids, 1, stats, vision.features);
    } finally {
      vision.features.storage?.buffer.destroy();
    }
    const ms = performance.now() - t0;
    log(`TTFT ${tiles} tile(s), ${ids.length}-token prompt, rep ${i + 1}: ${ms.toFixed(0)} ms (vision ${visionMs.toFixed(0)}, prefill ${stats.prefillMs.toFixed(0)})`);
    out.push({ ms, visionMs, prefillMs: stats.prefillMs, promptTokens: ids.length });
  }
  return out;
}
