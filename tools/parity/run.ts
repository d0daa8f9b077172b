// Parity of our WebGPU model with the PyTorch reference on one checkpoint: the same prompt ids and pixel values
// go through both; every named intermediate (ARCHITECTURE.md) is compared, and the greedy tokens must match.
// Samples run as one batch on our side (prefill each, decode together through the paged cache).
import { numImageToken } from '../../loader/config.js';
import { chatPrompt, type Turn } from '../../model/conversation.js';
import { createEngine, destroyEngine } from '../../model/generate.js';
import { conversationTemplate } from '../../model/templates.js';
import { generate } from '../../model/scheduler.js';
import { loadImagePixels } from '../../model/image/normalize.js';
import { type LoadedModel, loadModel } from '../../model/load.js';
import { encodeImages, featureViews } from '../../model/vision_pass.js';
import { decodeImageFile } from '../node/decode_image.js';
import { dirFiles } from '../node/dir_files.js';
import { nodeGpu } from '../node/gpu.js';
import { type LayerDiff, diff } from './compare.js';
import { runReference } from './reference.js';
import type { KvDtype } from '../../runtime/ops/kv_cache.js';
import type { VisionQuantFormat } from '../../loader/quantization.js';
import type { QuantFormat } from '../../runtime/quant.js';

export interface ParitySample {
  readonly question: string;
  /** Image files; each is its own `<image>` entry when `separate`, else all tiles under one. */
  readonly images?: readonly string[];
  readonly separate?: boolean;
  readonly history?: readonly Turn[];
}

export interface ParityOptions {
  readonly model: string;
  readonly samples: readonly ParitySample[];
  readonly maxTiles?: number;
  readonly maxNewTokens?: number;
  /** Quantize the language model (ours at load, the reference by quant_ref.py) and compare on those weights. */
  readonly quant?: QuantFormat;
  /** Quantize the vision tower and mlp1 too (q8), ours at load and the reference by quant_ref.py. */
  readonly visionQuant?: VisionQuantFormat;
  /** Store keys and values as f16 (ours in the KV cache, the reference by rounding them before attention). */
  readonly kvCache?: KvDtype;
  /** Stage timings as they happen (the CLI prints them to stderr). */
  readonly log?: (message: string) => void;
}

export interface ParityReport {
  /** Per sample: intermediates in pipeline order (vision/projector only for sample 0's tiles). */
  readonly layers: LayerDiff[][];
  readonly ours: number[][];
  readonly reference: number[][];
  readonly promptIds: number[][];
  readonly tokensMatch: boolean;
}

const VISION = (layers: number) => ['vision.embeddings', ...Array.from({ length: layers }, (_, i) => `vision.layers.${i}`), 'projector.pixel_shuffle', 'projector.out'];
const LLM = (layers: number) => ['llm.embeddings', ...Array.from({ length: layers }, (_, i) => `llm.layers.${i}`), 'llm.norm'];

export async function runParity(o: ParityOptions): Promise<ParityReport> {
  const t0 = performance.now();
  const log = (stage: string) => o.log?.(`[parity] ${stage} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const gpu = await nodeGpu();
  const model = await loadModel(gpu, dirFiles(o.model), { ...(o.quant && { quant: o.quant }), ...(o.visionQuant && { visionQuant: o.visionQuant }) });
  log('model loaded');
  const engine = createEngine(model, { maxContext: 8192, ...(o.kvCache && { kvCache: o.kvCache }) });
  try {
    const prepared = await Promise.all(o.samples.map((s) => prepareSample(model, s, o.maxTiles ?? 6)));
    const pixels = concat(prepared.map((p) => p.pixels));
    const tilesTotal = prepared.reduce((n, p) => n + p.tiles, 0);
    const vNames = VISION(model.config.vision_config.num_hidden_layers);
    const lNames = LLM(model.config.llm_config.num_hidden_layers);
    const vision = tilesTotal ? await encodeImages(model, pixels, tilesTotal, { capture: vNames }) : undefined;
    log(`vision (${tilesTotal} tiles) done`);
    let tileStart = 0;
    const requests = prepared.map((p) => {
      const r = { ids: p.ids, tileStart, tiles: p.tiles };
      tileStart += p.tiles;
      return r;
    });
    const views = vision ? featureViews(model, vision.features, requests.map((r) => r.tiles)) : [];

    const ourCaptures: Map<string, Float32Array>[] = [];
    const ours: number[][] = requests.map(() => []);
    const maxNew = o.maxNewTokens ?? 32;
    const events = generate(engine, requests.map((r, k) => ({ ids: r.ids, ...(views[k] && { imageFeatures: views[k] }) })), { maxNewTokens: maxNew }, undefined, {
      capture: lNames,
      onPrefillCaptures: (k, c) => (ourCaptures[k] = c),
      onPrefillLogits: (k, l) => void (ourCaptures[k] ??= new Map()).set('logits', l),
    });
    for await (const e of events) ours[e.index]!.push(e.token);
    vision?.features.storage?.buffer.destroy();
    log('greedy generation done');

    const ref = await runReference(o.model, requests.map((r) => ({ ids: [...r.ids], tileStart: r.tileStart, tiles: r.tiles })), tilesTotal ? pixels : undefined, maxNew, { ...(o.quant && { quant: o.quant }), ...(o.visionQuant && { visionQuant: o.visionQuant }), ...(o.kvCache && { kvCache: o.kvCache }) });
    log('PyTorch reference done');
    const layers = requests.map((_, k) => {
      const rows: LayerDiff[] = [];
      if (k === 0 && vision) for (const n of vNames) rows.push(diff(n, vision.captures.get(n)!, ref.tensors.get(n) ?? new Float32Array()));
      for (const n of [...lNames, 'logits']) rows.push(diff(n, ourCaptures[k]!.get(n)!, ref.tensors.get(`sample${k}.${n}`) ?? new Float32Array()));
      return rows;
    });
    const tokensMatch = ours.every((t, k) => t.length === ref.generated[k]!.length && t.every((x, i) => x === ref.generated[k]![i]));
    return { layers, ours, reference: ref.generated, promptIds: requests.map((r) => [...r.ids]), tokensMatch };
  } finally {
    destroyEngine(engine);
    model.destroy();
  }
}

async function prepareSample(model: LoadedModel, s: ParitySample, maxTiles: number) {
  const parts = await Promise.all((s.images ?? []).map(async (f) => loadImagePixels(await decodeImageFile(f), maxTiles)));
  const tiles = parts.reduce((n, p) => n + p.numTiles, 0);
  const numPatchesList = parts.length === 0 ? [] : s.separate ? parts.map((p) => p.numTiles) : [tiles];
  const { prompt } = chatPrompt({ template: conversationTemplate(model.config.template), question: s.question, ...(s.history && { history: s.history }), numPatchesList, numImageToken: numImageToken(model.config) });
  return { ids: Uint32Array.from(model.tokenizer.encodePrompt(prompt)), pixels: concat(parts.map((p) => p.pixelValues)), tiles };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
