// The model card's API: InternVL.create(...) then chat / stream / batchChat, mirroring
// InternVLChatModel.chat and batch_chat. Browser-safe; tools/node/internvl.ts adds loading by path or repo id
// and image/video files.
//
// Calls on one model take turns (model/call_queue.ts): any interleaving of chat, stream, batchChat and destroy
// is safe, and each call returns what it would return alone.
import { numImageToken } from '../loader/config.js';
import type { ModelFiles } from '../loader/model_files.js';
import type { DownloadOptions } from '../loader/hub.js';
import type { Gpu, GpuOptions } from '../runtime/device.js';
import { StreamDecoder } from '../tokenizer/stream_decoder.js';
import { type Turn, batchPrompts, chatPrompt, postprocessResponse } from './conversation.js';
import { createCallQueue } from './call_queue.js';
import { type Engine, type EngineOptions, type GenerationOptions, type GenerationStats, createEngine, destroyEngine, generate, newStats } from './generate.js';
import { loadImagePixels } from './image/normalize.js';
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type CompletionOptions, chatCompletions, fetchedMedia } from './openai_api.js';
import type { RgbImage } from './image/rgb_image.js';
import { type LoadOptions, type LoadedModel, loadModel } from './load.js';
import { platform } from './platform.js';
import { pushedStream } from './pushed_stream.js';
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
  readonly stats: GenerationStats & { visionMs: number; tiles: number };
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

export class InternVL {
  private readonly queue = createCallQueue();
  private destroyed: Promise<void> | undefined;

  private constructor(
    readonly model: LoadedModel,
    private readonly engine: Engine,
  ) {}

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

  /** Tiles of one image exactly as the card's load_image(max_num). Host only: needs no turn. */
  preprocess(image: RgbImage, maxTiles = this.model.config.max_dynamic_patch): PixelValues {
    const p = loadImagePixels(image, maxTiles);
    return { data: p.pixelValues, tiles: p.numTiles };
  }

  /** One turn; resolves with the stripped response and the history including this turn. */
  async chat(request: ChatRequest): Promise<ChatResult> {
    const prepared = this.prepareChat(request);
    return this.queue.run((signal) => this.runChat(prepared, () => {}, signal), request.signal);
  }

  /**
   * The same turn as text pieces as they are generated (UTF-8 safe; special tokens skipped). The turn is queued
   * when stream() is called and generates whether or not the pieces are read yet; leaving the loop (`break`,
   * `return()`) stops it and frees its cache blocks.
   */
  stream(request: ChatRequest): AsyncGenerator<string, ChatResult> {
    return pushedStream(async (push, closed) => {
      const prepared = this.prepareChat(request);
      const signal = request.signal ? AbortSignal.any([request.signal, closed]) : closed;
      return this.queue.run((turn) => this.runChat(prepared, push, turn), signal);
    });
  }

  /** batch_chat: one single-turn prompt per question, sequences decoded together through the paged cache. */
  async batchChat(request: BatchChatRequest): Promise<string[]> {
    const { tokenizer, config } = this.model;
    const prompts = batchPrompts(request.questions, request.numPatchesList, { numImageToken: numImageToken(config), ...(request.systemMessage !== undefined && { systemMessage: request.systemMessage }) });
    const total = request.numPatchesList.reduce((a, b) => a + b, 0);
    if (total !== request.pixelValues.tiles) throw new Error(`[batchChat] numPatchesList sums to ${total} tiles, pixelValues holds ${request.pixelValues.tiles}`);
    const promptIds = prompts.map((p) => Uint32Array.from(tokenizer.encode(p)));
    return this.queue.run(async (signal) => {
      const vision = await encodeImages(this.model, request.pixelValues.data, request.pixelValues.tiles, { signal });
      const views = featureViews(this.model, vision.features, request.numPatchesList);
      try {
        const requests = promptIds.map((ids, i) => ({ ids, ...(request.numPatchesList[i]! > 0 && { imageFeatures: views[i]! }) }));
        const ids: number[][] = prompts.map(() => []);
        for await (const e of generate(this.engine, requests, { eosTokenId: this.eos, ...request.generation }, newStats(), { signal })) ids[e.index]!.push(e.token);
        return ids.map((t) => postprocessResponse(tokenizer.decode(t, { skipSpecialTokens: true })));
      } finally {
        vision.features.storage?.buffer.destroy();
      }
    }, request.signal);
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

  /**
   * Frees the KV cache, the recorded graphs and the weights. Calls still waiting are rejected, a running one
   * stops at its next step with the same error, and calls made afterwards are rejected; resolves once freed.
   */
  destroy(): Promise<void> {
    return (this.destroyed ??= (async () => {
      await this.queue.close(new Error('[InternVL] the model was destroyed; load it again to make more calls'));
      destroyEngine(this.engine);
      this.model.destroy();
    })());
  }

  private get eos(): number {
    return this.model.tokenizer.tokenToId('<|im_end|>') ?? 151645;
  }

  /** Everything a chat turn needs from the host, checked before it waits for the GPU. */
  private prepareChat(request: ChatRequest): PreparedChat {
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
    return { request, pixels, question, promptIds: Uint32Array.from(tokenizer.encode(prompt)) };
  }

  /** One chat turn on the GPU (the caller holds the model's turn); text pieces go to `onPiece` as decoded. */
  private async runChat({ request, pixels, question, promptIds }: PreparedChat, onPiece: (piece: string) => void, signal: AbortSignal): Promise<ChatResult> {
    const { tokenizer } = this.model;
    const t0 = performance.now();
    const vision = pixels ? await encodeImages(this.model, pixels.data, pixels.tiles, { signal }) : undefined;
    const visionMs = performance.now() - t0;
    const stats = newStats();
    const ids: number[] = [];
    const decoder = new StreamDecoder(tokenizer, { skipSpecialTokens: true });
    const stops = request.stop ?? [];
    const longestStop = Math.max(0, ...stops.map((s) => s.length));
    let text = '';
    let stopped = false;
    const stopAt = (t: string) => Math.min(...stops.map((s) => t.indexOf(s)).filter((i) => i >= 0).concat(Infinity));
    try {
      const events = generate(this.engine, [{ ids: promptIds, ...(vision && { imageFeatures: vision.features }) }], { eosTokenId: this.eos, ...request.generation }, stats, {
        signal,
        ...(request.onPrefillLogits && { onPrefillLogits: (_: number, l: Float32Array) => request.onPrefillLogits!(l) }),
      });
      for await (const e of events) {
        ids.push(e.token);
        if (e.token === this.eos) break;
        const piece = decoder.push(e.token);
        if (!piece) continue;
        onPiece(piece);
        if (stops.length) {
          text = (text + piece).slice(-(piece.length + longestStop)); // only a window can hold a new match
          if ((stopped = stopAt(text) < Infinity)) break;
        }
      }
      const tail = decoder.flush();
      if (tail) onPiece(tail);
    } finally {
      vision?.features.storage?.buffer.destroy();
    }
    const decoded = tokenizer.decode(ids, { skipSpecialTokens: true });
    const response = postprocessResponse(stops.length ? decoded.slice(0, stopAt(decoded)) : decoded);
    const finishReason = stopped || ids.at(-1) === this.eos ? 'stop' : 'length';
    return { response, history: [...(request.history ?? []), [question, response]], promptIds, ids, finishReason, stats: { ...stats, visionMs, tiles: pixels?.tiles ?? 0 } };
  }

  private imagesToPixels(images: readonly RgbImage[], maxTiles?: number): PixelValues | undefined {
    if (!images.length) return undefined;
    return concatPixelValues(images.map((img) => this.preprocess(img, maxTiles)));
  }
}
