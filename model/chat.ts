// The model card's API: InternVL.create(...) then chat / stream / batchChat, mirroring
// InternVLChatModel.chat and batch_chat. Browser-safe; tools/node/internvl.ts adds loading by path or repo id
// and image/video files.
//
// Calls on one model are sequences of its scheduler (model/scheduler.ts): any interleaving of chat, stream,
// batchChat, chatCompletions and destroy is safe, concurrent calls are decoded together, and each call returns
// what it would return alone.
import { numImageToken } from '../loader/config.js';
import type { ModelFiles } from '../loader/model_files.js';
import type { DownloadOptions } from '../loader/hub.js';
import type { Gpu, GpuOptions } from '../runtime/device.js';
import { StreamDecoder } from '../tokenizer/stream_decoder.js';
import { type Turn, batchPrompts, chatPrompt, postprocessResponse } from './conversation.js';
import { type Engine, type EngineOptions, type GenerationOptions, type GenerationStats, createEngine, destroyEngine, newStats } from './generate.js';
import { type FeatureCache, createFeatureCache, pixelKey } from './feature_cache.js';
import { loadImagePixels } from './image/normalize.js';
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type CompletionOptions, chatCompletions, fetchedMedia } from './openai_api.js';
import type { RgbImage } from './image/rgb_image.js';
import { type LoadOptions, type LoadedModel, loadModel, stopTokenId } from './load.js';
import { platform } from './platform.js';
import { pushedStream } from './pushed_stream.js';
import { type ChatTemplate, conversationTemplate } from './templates.js';
import { type Scheduler, type SchedulerOptions, createScheduler } from './scheduler.js';
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
  /** Cancels the call: while it waits for its turn, or at its next step once running (its KV blocks are freed). */
  readonly signal?: AbortSignal;
  /** Strings that end the answer (OpenAI's `stop`): generation stops once one appears; the response ends before it. */
  readonly stop?: readonly string[];
}

export interface ChatResult {
  readonly response: string;
  readonly history: Turn[];
  /** Token ids of the full prompt after the template and image-token expansion. */
  readonly promptIds: Uint32Array;
  readonly ids: number[];
  /** 'stop': the end-of-turn token or a stop string ended the answer; 'length': maxNewTokens did. */
  readonly finishReason: 'stop' | 'length';
  /** visionCached: the image features came from the image-feature cache (no ViT pass). */
  readonly stats: GenerationStats & { visionMs: number; visionCached: boolean; tiles: number };
}

export interface BatchChatRequest {
  readonly questions: readonly string[];
  readonly pixelValues: PixelValues;
  readonly numPatchesList: readonly number[];
  readonly generation?: GenerationOptions;
  readonly systemMessage?: string;
  /** As ChatRequest.signal. */
  readonly signal?: AbortSignal;
}

/** A chat turn checked and tokenized on the host, ready for its turn on the GPU. */
interface PreparedChat {
  readonly request: ChatRequest;
  readonly pixels: PixelValues | undefined;
  readonly question: string;
  readonly promptIds: Uint32Array;
}

/** How a loaded model serves: cache sizes, batching, and the image-feature cache (0 turns it off). */
export interface ModelOptions extends EngineOptions, SchedulerOptions {
  /** GPU bytes of vision features kept for images seen recently (default 128 MiB; 0: off). */
  readonly imageFeatureCacheBytes?: number;
}

const DESTROYED = () => new Error('[InternVL] the model was destroyed; load it again to make more calls');

export class InternVL {
  private destroyed: Promise<void> | undefined;

  private constructor(
    readonly model: LoadedModel,
    private readonly engine: Engine,
    private readonly scheduler: Scheduler,
    private readonly featureCache: FeatureCache,
  ) {}

  /**
   * The card's `AutoModel.from_pretrained(path)`: a hub repo id ('OpenGVLab/InternVL2-1B'), a URL of a model
   * directory (browser) or a local directory (Node, after importing tools/node/internvl.ts).
   */
  static async load(source: string | ModelFiles, options: LoadOptions & ModelOptions & DownloadOptions & { gpu?: Gpu; gpuOptions?: GpuOptions } = {}): Promise<InternVL> {
    const p = platform();
    const files = typeof source === 'string' ? await p.resolve(source, options) : source;
    const gpu = options.gpu ?? (await p.gpu(options.gpuOptions));
    return InternVL.create(gpu, files, options);
  }

  static async create(gpu: Gpu, files: ModelFiles, options: LoadOptions & ModelOptions = {}): Promise<InternVL> {
    const model = await loadModel(gpu, files, options);
    let engine: Engine;
    try {
      engine = createEngine(model, options);
    } catch (e) {
      model.destroy(); // a bad option or a cache over the device's limits: the weights go back
      throw e;
    }
    return new InternVL(model, engine, createScheduler(engine, options), createFeatureCache(options.imageFeatureCacheBytes ?? 128 << 20));
  }

  /** Tiles of one image exactly as the card's load_image(max_num). Host only: needs no turn. */
  preprocess(image: RgbImage, maxTiles = this.model.config.max_dynamic_patch): PixelValues {
    const p = loadImagePixels(image, maxTiles);
    return { data: p.pixelValues, tiles: p.numTiles };
  }

  /** One turn; resolves with the stripped response and the history including this turn. */
  async chat(request: ChatRequest): Promise<ChatResult> {
    return this.runChat(this.prepareChat(request), () => {}, request.signal);
  }

  /**
   * The same turn as text pieces as they are generated (UTF-8 safe; special tokens skipped). The turn is queued
   * when stream() is called and generates whether or not the pieces are read yet; leaving the loop (`break`,
   * `return()`) stops it and frees its cache blocks.
   */
  stream(request: ChatRequest): AsyncGenerator<string, ChatResult> {
    return pushedStream(async (push, closed) => {
      const prepared = this.prepareChat(request);
      return this.runChat(prepared, push, request.signal ? AbortSignal.any([request.signal, closed]) : closed);
    });
  }

  /** batch_chat: one single-turn prompt per question, sequences decoded together through the paged cache. */
  async batchChat(request: BatchChatRequest): Promise<string[]> {
    const { tokenizer, config } = this.model;
    const prompts = batchPrompts(request.questions, request.numPatchesList, { template: this.template, numImageToken: numImageToken(config), ...(request.systemMessage !== undefined && { systemMessage: request.systemMessage }) });
    const total = request.numPatchesList.reduce((a, b) => a + b, 0);
    if (total !== request.pixelValues.tiles) throw new Error(`[batchChat] numPatchesList sums to ${total} tiles, pixelValues holds ${request.pixelValues.tiles}`);
    const promptIds = prompts.map((p) => Uint32Array.from(tokenizer.encodePrompt(p)));
    this.checkOpen();
    // One vision pass for the whole batch, started by the first sequence admitted; the features live until the call ends.
    let vision: ReturnType<typeof encodeImages> | undefined;
    const features = (signal: AbortSignal, busy: boolean) =>
      (vision ??= encodeImages(this.model, request.pixelValues.data, request.pixelValues.tiles, { signal, ...(busy && { tilesPerPass: 1 }) }));
    const failed = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, failed.signal]) : failed.signal;
    const ids: number[][] = prompts.map(() => []);
    try {
      await Promise.all(
        promptIds.map((promptIds, i) =>
          this.scheduler
            .submit({
              ids: promptIds,
              options: { eosTokenId: this.eos, ...request.generation },
              ...(request.numPatchesList[i]! > 0 && {
                prepare: async (turn: AbortSignal, busy: boolean) => ({ imageFeatures: featureViews(this.model, (await features(turn, busy)).features, request.numPatchesList)[i]!, release() {} }),
              }),
              onToken: (token) => void ids[i]!.push(token),
              signal,
            })
            .catch((e: unknown) => (failed.abort(e), Promise.reject(e))),
        ),
      );
      return ids.map((t) => postprocessResponse(tokenizer.decode(t, { skipSpecialTokens: true }), this.template));
    } finally {
      (await vision?.catch(() => undefined))?.features.storage?.buffer.destroy();
    }
  }

  /**
   * OpenAI's `chat.completions.create` in process, the same code path as `internvl serve`: the response object, or
   * with `stream: true` an async iterable of chunk objects (leaving it early cancels the generation). Request
   * errors are `ApiError`s with the HTTP status and OpenAI error object. Images in `image_url` parts are read
   * from data: and http(s) URLs unless `options.media` says otherwise.
   */
  chatCompletions(request: ChatCompletionRequest & { stream: true }, options?: CompletionOptions): Promise<AsyncGenerator<ChatCompletionChunk>>;
  chatCompletions(request: ChatCompletionRequest & { stream?: false | null }, options?: CompletionOptions): Promise<ChatCompletion>;
  chatCompletions(request: ChatCompletionRequest, options: CompletionOptions = {}): Promise<ChatCompletion | AsyncGenerator<ChatCompletionChunk>> {
    return chatCompletions(this, request, { media: fetchedMedia(platform().images), maxTiles: this.model.config.max_dynamic_patch, ...options });
  }

  /** KV cache blocks in use and free. */
  cacheUsage() {
    return this.engine.cache.blocks.usage();
  }

  /** Hits, misses and size of the image-feature cache. */
  imageFeatureCache() {
    return this.featureCache.stats();
  }

  /**
   * Frees the KV cache, the recorded graphs and the weights. Calls still waiting are rejected, a running one
   * stops at its next step with the same error, and calls made afterwards are rejected; resolves once freed.
   */
  destroy(): Promise<void> {
    return (this.destroyed ??= (async () => {
      await this.scheduler.close(DESTROYED());
      this.featureCache.clear();
      destroyEngine(this.engine);
      this.model.destroy();
    })());
  }

  private checkOpen(): void {
    if (this.destroyed) throw DESTROYED();
  }

  /** The conversation template config.json names (checked at load). */
  private get template(): ChatTemplate {
    return conversationTemplate(this.model.config.template);
  }

  /** The stop token's id: upstream chat()'s eos_token_id, the template's separator as a token. */
  private get eos(): number {
    return stopTokenId(this.model);
  }

  /** Everything a chat turn needs from the host, checked before it waits for the GPU. */
  private prepareChat(request: ChatRequest): PreparedChat {
    this.checkOpen();
    const { tokenizer, config } = this.model;
    const pixels = request.pixelValues ?? this.imagesToPixels(request.images ?? [], request.maxTiles);
    const numPatchesList = pixels ? (request.numPatchesList ?? [pixels.tiles]) : [];
    if (pixels && numPatchesList.reduce((a, b) => a + b, 0) !== pixels.tiles) {
      throw new Error(`[chat] numPatchesList [${numPatchesList.join(', ')}] does not sum to the ${pixels.tiles} tiles given`);
    }
    const { prompt, question } = chatPrompt({
      template: this.template,
      question: request.question,
      ...(request.history !== undefined && { history: request.history }),
      ...(request.systemMessage !== undefined && { systemMessage: request.systemMessage }),
      numPatchesList,
      numImageToken: numImageToken(config),
    });
    return { request, pixels, question, promptIds: Uint32Array.from(tokenizer.encodePrompt(prompt)) };
  }

  /** One chat turn as a sequence of the scheduler; text pieces go to `onPiece` as decoded. */
  private async runChat({ request, pixels, question, promptIds }: PreparedChat, onPiece: (piece: string) => void, signal?: AbortSignal): Promise<ChatResult> {
    const { tokenizer } = this.model;
    const stats = newStats();
    let visionMs = 0;
    // Features come from the image-feature cache, or not at all when the prefix cache holds every image token.
    let visionCached = pixels !== undefined;
    const imageKey = pixels && (await pixelKey(pixels.data));
    const ids: number[] = [];
    const decoder = new StreamDecoder(tokenizer, { skipSpecialTokens: true });
    const stops = request.stop ?? [];
    const longestStop = Math.max(0, ...stops.map((s) => s.length));
    const stopAt = (t: string) => Math.min(...stops.map((s) => t.indexOf(s)).filter((i) => i >= 0).concat(Infinity));
    let window = '';
    let stopped = false;
    await this.scheduler.submit({
      ids: promptIds,
      options: { eosTokenId: this.eos, ...request.generation },
      ...(pixels && {
        imageKey,
        prepare: async (turn: AbortSignal, busy: boolean) => {
          const t0 = performance.now();
          // While others decode, one tile per submission: each decode step waits behind one tile at most.
          const encode = async () => (await encodeImages(this.model, pixels.data, pixels.tiles, { signal: turn, ...(busy && { tilesPerPass: 1 }) })).features;
          const vision = await this.featureCache.acquire(imageKey!, encode);
          visionMs = performance.now() - t0;
          visionCached = vision.hit;
          return { imageFeatures: vision.features, release: vision.release };
        },
      }),
      ...(request.onPrefillLogits && { onPrefill: (logits: Float32Array) => request.onPrefillLogits!(logits) }),
      onToken: (token, done) => {
        ids.push(token);
        const piece = token === this.eos ? '' : decoder.push(token);
        if (piece) onPiece(piece);
        if (done) {
          const tail = decoder.flush();
          if (tail) onPiece(tail);
          return;
        }
        if (piece && stops.length) {
          window = (window + piece).slice(-(piece.length + longestStop)); // only a window can hold a new match
          if ((stopped = stopAt(window) < Infinity)) return 'stop';
        }
      },
      ...(signal && { signal }),
      stats,
    });
    if (stopped) {
      const tail = decoder.flush();
      if (tail) onPiece(tail);
    }
    const decoded = tokenizer.decode(ids, { skipSpecialTokens: true });
    const response = postprocessResponse(stops.length ? decoded.slice(0, stopAt(decoded)) : decoded, this.template);
    const finishReason = stopped || ids.at(-1) === this.eos ? 'stop' : 'length';
    return { response, history: [...(request.history ?? []), [question, response]], promptIds, ids, finishReason, stats: { ...stats, visionMs, visionCached, tiles: pixels?.tiles ?? 0 } };
  }

  private imagesToPixels(images: readonly RgbImage[], maxTiles?: number): PixelValues | undefined {
    if (!images.length) return undefined;
    return concatPixelValues(images.map((img) => this.preprocess(img, maxTiles)));
  }
}
