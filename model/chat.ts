// The model card's API: InternVL.create(...) then chat / stream / batchChat, mirroring
// InternVLChatModel.chat and batch_chat. Browser-safe; tools/node/internvl.ts adds loading by path or repo id
// and image/video files.
import { numImageToken } from '../loader/config.js';
import type { ModelFiles } from '../loader/model_files.js';
import type { DownloadOptions } from '../loader/hub.js';
import type { Gpu, GpuOptions } from '../runtime/device.js';
import { StreamDecoder } from '../tokenizer/stream_decoder.js';
import { type Turn, batchPrompts, chatPrompt, postprocessResponse } from './conversation.js';
import { type Engine, type EngineOptions, type GenerationOptions, type GenerationStats, createEngine, destroyEngine, generate, newStats } from './generate.js';
import { loadImagePixels } from './image/normalize.js';
import type { RgbImage } from './image/rgb_image.js';
import { type LoadOptions, type LoadedModel, loadModel } from './load.js';
import { platform } from './platform.js';
import { encodeImages, featureViews } from './vision_pass.js';

/** Preprocessed pixels: f32 [tiles, 3, S, S] (model/image). */
export interface PixelValues {
  readonly data: Float32Array;
  readonly tiles: number;
}

/** Tiles of several images (or frames) in order, as the card's torch.cat(pixel_values_list). */
export function concatPixelValues(parts: readonly PixelValues[]): PixelValues {
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { data, tiles: parts.reduce((n, p) => n + p.tiles, 0) };
}

export interface ChatRequest {
  readonly question: string;
  /** Decoded images; each is tiled (maxTiles, thumbnail) and their tiles concatenated in order. */
  readonly images?: readonly RgbImage[];
  /** Or pixel values preprocessed by the caller (e.g. video frames). */
  readonly pixelValues?: PixelValues;
  /** Tiles per `<image>` placeholder; default: all tiles under one placeholder (the card's combined mode). */
  readonly numPatchesList?: readonly number[];
  /** Previous turns; undefined is the card's history=None. */
  readonly history?: readonly Turn[];
  readonly generation?: GenerationOptions;
  /** max_num for dynamic tiling (config max_dynamic_patch by default). */
  readonly maxTiles?: number;
  readonly systemMessage?: string;
  /** Receives the float32 logits of the last prompt position (parity checks, `--logits-out`). */
  readonly onPrefillLogits?: (logits: Float32Array) => void;
}

export interface ChatResult {
  readonly response: string;
  readonly history: Turn[];
  /** Token ids of the full prompt after the template and image-token expansion. */
  readonly promptIds: Uint32Array;
  readonly ids: number[];
  readonly stats: GenerationStats & { visionMs: number; tiles: number };
}

export interface BatchChatRequest {
  readonly questions: readonly string[];
  readonly pixelValues: PixelValues;
  readonly numPatchesList: readonly number[];
  readonly generation?: GenerationOptions;
  readonly systemMessage?: string;
}

export class InternVL {
  private constructor(readonly model: LoadedModel, readonly engine: Engine) {}

  /**
   * The card's `AutoModel.from_pretrained(path)`: a hub repo id ('OpenGVLab/InternVL2-1B'), a URL of a model
   * directory (browser) or a local directory (Node, after importing tools/node/internvl.ts).
   */
  static async load(source: string | ModelFiles, options: LoadOptions & EngineOptions & DownloadOptions & { gpu?: Gpu; gpuOptions?: GpuOptions } = {}): Promise<InternVL> {
    const p = platform();
    const files = typeof source === 'string' ? await p.resolve(source, options) : source;
    const gpu = options.gpu ?? (await p.gpu(options.gpuOptions));
    return InternVL.create(gpu, files, options);
  }

  static async create(gpu: Gpu, files: ModelFiles, options: LoadOptions & EngineOptions = {}): Promise<InternVL> {
    const model = await loadModel(gpu, files, options);
    return new InternVL(model, createEngine(model, options));
  }

  /** Tiles of one image exactly as the card's load_image(max_num). */
  preprocess(image: RgbImage, maxTiles = this.model.config.max_dynamic_patch): PixelValues {
    const p = loadImagePixels(image, maxTiles);
    return { data: p.pixelValues, tiles: p.numTiles };
  }

  /** One turn; resolves with the stripped response and the history including this turn. */
  async chat(request: ChatRequest): Promise<ChatResult> {
    let result: ChatResult | undefined;
    const pieces = this.run(request, (r) => (result = r));
    for await (const _ of pieces);
    return result!;
  }

  /** The same turn as text pieces as they are generated (UTF-8 safe; special tokens skipped). */
  async *stream(request: ChatRequest): AsyncGenerator<string, ChatResult> {
    let result: ChatResult | undefined;
    yield* this.run(request, (r) => (result = r));
    return result!;
  }

  /** batch_chat: one single-turn prompt per question, sequences decoded together through the paged cache. */
  async batchChat(request: BatchChatRequest): Promise<string[]> {
    const { tokenizer, config } = this.model;
    const prompts = batchPrompts(request.questions, request.numPatchesList, { numImageToken: numImageToken(config), ...(request.systemMessage !== undefined && { systemMessage: request.systemMessage }) });
    const total = request.numPatchesList.reduce((a, b) => a + b, 0);
    if (total !== request.pixelValues.tiles) throw new Error(`[batchChat] numPatchesList sums to ${total} tiles, pixelValues holds ${request.pixelValues.tiles}`);
    const vision = await encodeImages(this.model, request.pixelValues.data, request.pixelValues.tiles);
    const views = featureViews(this.model, vision.features, request.numPatchesList);
    try {
      const requests = prompts.map((p, i) => ({ ids: Uint32Array.from(tokenizer.encode(p)), ...(request.numPatchesList[i]! > 0 && { imageFeatures: views[i]! }) }));
      const ids: number[][] = prompts.map(() => []);
      for await (const e of generate(this.engine, requests, { eosTokenId: this.eos, ...request.generation })) ids[e.index]!.push(e.token);
      return ids.map((t) => postprocessResponse(tokenizer.decode(t, { skipSpecialTokens: true })));
    } finally {
      vision.features.storage?.buffer.destroy();
    }
  }

  /** KV cache blocks in use and free. */
  cacheUsage() {
    return this.engine.cache.blocks.usage();
  }

  /** Frees the KV cache, the recorded graphs and the weights. */
  destroy(): void {
    destroyEngine(this.engine);
    this.model.destroy();
  }

  private get eos(): number {
    return this.model.tokenizer.tokenToId('<|im_end|>') ?? 151645;
  }

  private async *run(request: ChatRequest, done: (r: ChatResult) => void): AsyncGenerator<string> {
    const { tokenizer, config } = this.model;
    const pixels = request.pixelValues ?? this.imagesToPixels(request.images ?? [], request.maxTiles);
    const numPatchesList = pixels ? (request.numPatchesList ?? [pixels.tiles]) : [];
    if (pixels && numPatchesList.reduce((a, b) => a + b, 0) !== pixels.tiles) {
      throw new Error(`[chat] numPatchesList [${numPatchesList.join(', ')}] does not sum to the ${pixels.tiles} tiles given`);
    }
    const { prompt, question } = chatPrompt({
      question: request.question,
      ...(request.history !== undefined && { history: request.history }),
      ...(request.systemMessage !== undefined && { systemMessage: request.systemMessage }),
      numPatchesList,
      numImageToken: numImageToken(config),
    });
    const promptIds = Uint32Array.from(tokenizer.encode(prompt));
    const t0 = performance.now();
    const vision = pixels ? await encodeImages(this.model, pixels.data, pixels.tiles) : undefined;
    const visionMs = performance.now() - t0;
    const stats = newStats();
    const ids: number[] = [];
    const decoder = new StreamDecoder(tokenizer, { skipSpecialTokens: true });
    try {
      const events = generate(this.engine, [{ ids: promptIds, ...(vision && { imageFeatures: vision.features }) }], { eosTokenId: this.eos, ...request.generation }, stats, {
        ...(request.onPrefillLogits && { onPrefillLogits: (_: number, l: Float32Array) => request.onPrefillLogits!(l) }),
      });
      for await (const e of events) {
        ids.push(e.token);
        if (e.token === this.eos) break;
        const piece = decoder.push(e.token);
        if (piece) yield piece;
      }
      const tail = decoder.flush();
      if (tail) yield tail;
    } finally {
      vision?.features.storage?.buffer.destroy();
    }
    const response = postprocessResponse(tokenizer.decode(ids, { skipSpecialTokens: true }));
    done({ response, history: [...(request.history ?? []), [question, response]], promptIds, ids, stats: { ...stats, visionMs, tiles: pixels?.tiles ?? 0 } });
  }

  private imagesToPixels(images: readonly RgbImage[], maxTiles?: number): PixelValues | undefined {
    if (!images.length) return undefined;
    return concatPixelValues(images.map((img) => this.preprocess(img, maxTiles)));
  }
}
