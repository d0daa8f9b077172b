// The OpenAI chat-completions shape over InternVL.chat/stream, browser-safe: the server (tools/node/server.ts)
// and in-process callers (`model.chatCompletions(request)`, as WebLLM's `engine.chat.completions.create`) share it.
//
// Messages map onto the card's prompts: a system message replaces the template's; earlier user/assistant pairs
// are the history; media parts become placeholders before the text of their message — one image in the whole
// conversation → `<image>\n`, several → `Image-1: <image>\n…` numbered across the conversation, a video →
// `Frame1: <image>\n…` — and their tiles are concatenated in conversation order (one slot per image or frame).
import type { ChatRequest, ChatResult, PixelValues } from './chat.js';
import { concatPixelValues } from './chat.js';
import { IMAGE_PLACEHOLDER, type Turn, videoPrefix } from './conversation.js';
import type { GenerationOptions } from './generate.js';
import type { ImageDecoder, RgbImage } from './image/rgb_image.js';
import { videoPixels } from './image/video.js';

/** An error with the HTTP status and the OpenAI error object it is reported as. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }

  toJSON() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export type ContentPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image_url'; readonly image_url: { readonly url: string; readonly detail?: string } }
  | { readonly type: 'video_url'; readonly video_url: { readonly url: string } };

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string | readonly ContentPart[];
}

export interface ChatCompletionRequest {
  readonly model?: string;
  readonly messages: readonly ChatMessage[];
  readonly max_tokens?: number | null;
  readonly max_completion_tokens?: number | null;
  /** 0 or absent: greedy, as the card's do_sample=False. */
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly repetition_penalty?: number | null;
  readonly seed?: number | null;
  readonly stop?: string | readonly string[] | null;
  readonly n?: number | null;
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean } | null;
  readonly user?: string;
}

export type FinishReason = 'stop' | 'length';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  /** cached_tokens: prompt tokens whose keys and values came from the prefix cache. */
  readonly prompt_tokens_details: { readonly cached_tokens: number };
}

export interface ChatCompletion {
  readonly id: string;
  readonly object: 'chat.completion';
  readonly created: number;
  readonly model: string;
  readonly choices: [{ readonly index: 0; readonly message: { readonly role: 'assistant'; readonly content: string }; readonly finish_reason: FinishReason; readonly logprobs: null }];
  readonly usage: Usage;
}

export interface ChatCompletionChunk {
  readonly id: string;
  readonly object: 'chat.completion.chunk';
  readonly created: number;
  readonly model: string;
  readonly choices: { readonly index: 0; readonly delta: { readonly role?: 'assistant'; readonly content?: string }; readonly finish_reason: FinishReason | null; readonly logprobs: null }[];
  readonly usage?: Usage | null;
}

/** Turns an image_url / video_url into pixels: data: URLs, fetched URLs, files — the caller decides what it allows. */
export interface MediaResolver {
  image(url: string): Promise<RgbImage>;
  video(url: string): Promise<RgbImage[]>;
}

/** The largest image or video an image_url / video_url may name. */
export const MAX_MEDIA_BYTES = 32 << 20;

/** Bytes of a data: URL (base64 or percent-encoded). */
export function dataUrlBytes(url: string): Uint8Array {
  const m = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(url);
  if (!m) throw new Error('not a data: URL');
  if (!m[2]) return new TextEncoder().encode(decodeURIComponent(m[3]!));
  let binary: string;
  try {
    binary = atob(m[3]!.replace(/\s/g, ''));
  } catch {
    throw new Error('the data: URL is not valid base64');
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Bytes behind an http(s) URL, with a size cap and a timeout. */
export async function fetchBytes(url: string, maxBytes = MAX_MEDIA_BYTES, timeoutMs = 30_000): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) throw new Error(`${url} is larger than ${maxBytes} bytes`);
  const reader = res.body!.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`${url} is larger than ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.byteLength);
  return out;
}

/** Images from data: and http(s) URLs, decoded by `images`; videos need a platform resolver (the Node server's). */
export function fetchedMedia(images: ImageDecoder): MediaResolver {
  return {
    async image(url) {
      if (url.startsWith('data:')) return images.decode(dataUrlBytes(url), 'image_url');
      if (/^https?:\/\//.test(url)) return images.decode(await fetchBytes(url), url);
      throw new Error(`image_url must be a data: or http(s) URL, got "${url.slice(0, 40)}"`);
    },
    async video() {
      throw new Error('video_url is not supported here: videos are read by the Node server (internvl serve)');
    },
  };
}

/** What chatCompletions needs of InternVL (model/chat.ts). */
export interface ChatModel {
  stream(request: ChatRequest): AsyncGenerator<string, ChatResult>;
  preprocess(image: RgbImage, maxTiles?: number): PixelValues;
}

export interface CompletionOptions {
  readonly media?: MediaResolver;
  /** The name the model is served as; a request naming another model is refused (404). */
  readonly modelName?: string;
  readonly maxTiles?: number;
  /** max_tokens when the request gives none. */
  readonly defaultMaxTokens?: number;
  readonly signal?: AbortSignal;
  /** Called once the first piece of the answer exists (time to first token). */
  readonly onFirstToken?: () => void;
}

const FIELDS = new Set(['model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'repetition_penalty', 'seed', 'stop', 'n', 'stream', 'stream_options', 'user']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalNumber(body: Record<string, unknown>, name: string, check: (n: number) => boolean, rule: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new ApiError(400, `${name} must be ${rule}, got ${JSON.stringify(v)}`, name);
  return v;
}

/** Checks the request's shape and settings; everything wrong is a 400 naming the field. */
export function parseRequest(body: unknown, modelName?: string): ChatCompletionRequest {
  if (!isObject(body)) throw new ApiError(400, 'the request body must be a JSON object');
  for (const key of Object.keys(body)) if (!FIELDS.has(key)) throw new ApiError(400, `Unrecognized request argument supplied: ${key}`, key);
  if (modelName !== undefined && body.model !== undefined && body.model !== modelName) {
    throw new ApiError(404, `The model \`${String(body.model)}\` does not exist; this server serves \`${modelName}\``, 'model', 'model_not_found');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new ApiError(400, 'messages must be a non-empty array', 'messages');
  body.messages.forEach((m: unknown, i) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw new ApiError(400, `${param} must be an object`, param);
    if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant') throw new ApiError(400, `${param}.role must be system, user or assistant, got ${JSON.stringify(m.role)}`, `${param}.role`);
    if (typeof m.content === 'string') return;
    if (!Array.isArray(m.content)) throw new ApiError(400, `${param}.content must be a string or an array of parts`, `${param}.content`);
    m.content.forEach((p: unknown, j) => {
      const where = `${param}.content[${j}]`;
      const ok =
        isObject(p) &&
        ((p.type === 'text' && typeof p.text === 'string') ||
          (m.role === 'user' && p.type === 'image_url' && isObject(p.image_url) && typeof p.image_url.url === 'string') ||
          (m.role === 'user' && p.type === 'video_url' && isObject(p.video_url) && typeof p.video_url.url === 'string'));
      if (!ok) throw new ApiError(400, `${where} must be {type: "text", text} or, in a user message, {type: "image_url", image_url: {url}} or {type: "video_url", video_url: {url}}`, where);
    });
  });
  optionalNumber(body, 'max_tokens', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  optionalNumber(body, 'max_completion_tokens', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  optionalNumber(body, 'temperature', (n) => n >= 0 && n <= 2, 'between 0 and 2');
  optionalNumber(body, 'top_p', (n) => n > 0 && n <= 1, 'in (0, 1]');
  optionalNumber(body, 'top_k', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
  optionalNumber(body, 'repetition_penalty', (n) => n > 0, 'positive');
  optionalNumber(body, 'seed', Number.isInteger, 'an integer');
  optionalNumber(body, 'n', (n) => n === 1, '1 (one choice per request)');
  const stop = body.stop;
  if (stop !== undefined && stop !== null && typeof stop !== 'string' && !(Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string' && s.length > 0))) {
    throw new ApiError(400, 'stop must be a string or an array of up to 4 non-empty strings', 'stop');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw new ApiError(400, 'stream must be a boolean', 'stream');
  if (body.stream_options !== undefined && body.stream_options !== null && !isObject(body.stream_options)) throw new ApiError(400, 'stream_options must be an object', 'stream_options');
  return body as unknown as ChatCompletionRequest;
}

/** The card's chat() arguments for a conversation: system message, history, question and pixels. */
export async function conversationRequest(
  request: ChatCompletionRequest,
  model: ChatModel,
  media: MediaResolver | undefined,
  maxTiles?: number,
): Promise<Pick<ChatRequest, 'question' | 'history' | 'systemMessage' | 'pixelValues' | 'numPatchesList'>> {
  const messages = [...request.messages];
  let systemMessage: string | undefined;
  if (messages[0]?.role === 'system') systemMessage = textOf(messages.shift()!, 0);
  const expect = (i: number) => (i % 2 === 0 ? 'user' : 'assistant');
  messages.forEach((m, i) => {
    if (m.role !== expect(i)) throw new ApiError(400, `messages must be an optional system message, then user and assistant messages in turn, ending with a user message; message ${i + (systemMessage === undefined ? 0 : 1)} is ${m.role}`, 'messages');
  });
  if (messages.at(-1)?.role !== 'user') throw new ApiError(400, 'the last message must be a user message', 'messages');

  const parts = messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content));
  const images = parts.filter((p) => p.type === 'image_url').length;
  const videos = parts.filter((p) => p.type === 'video_url').length;
  if ((images || videos) && !media) throw new ApiError(400, 'this model was given no media resolver: images and videos cannot be read', 'messages');
  const pixels: PixelValues[] = [];
  const numPatchesList: number[] = [];
  let imageNumber = 0;
  const texts: string[] = [];
  for (const [i, m] of messages.entries()) {
    let prefix = '';
    const text: string[] = [];
    for (const p of typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content) {
      if (p.type === 'text') text.push(p.text);
      else if (p.type === 'image_url') {
        const image = await readMedia(() => media!.image(p.image_url.url), i);
        const tiles = model.preprocess(image, maxTiles);
        pixels.push(tiles);
        numPatchesList.push(tiles.tiles);
        prefix += images === 1 && videos === 0 ? `${IMAGE_PLACEHOLDER}\n` : `Image-${++imageNumber}: ${IMAGE_PLACEHOLDER}\n`;
      } else {
        const frames = await readMedia(() => media!.video(p.video_url.url), i);
        const v = videoPixels(frames);
        pixels.push({ data: v.pixelValues, tiles: frames.length });
        numPatchesList.push(...v.numPatchesList);
        prefix += videoPrefix(frames.length);
      }
    }
    const joined = text.join('\n');
    if (joined.includes(IMAGE_PLACEHOLDER)) throw new ApiError(400, `message text may not contain ${IMAGE_PLACEHOLDER}: send images as image_url parts`, 'messages');
    texts.push(prefix + joined);
  }
  const history: Turn[] = [];
  for (let i = 0; i + 1 < texts.length; i += 2) history.push([texts[i]!, texts[i + 1]!]);
  return {
    question: texts.at(-1)!,
    ...(history.length && { history }),
    ...(systemMessage !== undefined && { systemMessage }),
    ...(pixels.length && { pixelValues: concatPixelValues(pixels), numPatchesList }),
  };
}

function textOf(m: ChatMessage, index: number): string {
  if (typeof m.content === 'string') return m.content;
  return m.content
    .map((p) => {
      if (p.type !== 'text') throw new ApiError(400, `messages[${index}]: a ${m.role} message holds text only`, `messages[${index}].content`);
      return p.text;
    })
    .join('\n');
}

async function readMedia<T>(read: () => Promise<T>, message: number): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(400, `messages[${message}]: ${(e as Error).message}`, `messages[${message}].content`, 'invalid_media');
  }
}

/** Generation settings of a request: greedy unless a temperature above 0 is given. */
export function generationOf(request: ChatCompletionRequest, defaultMaxTokens = 1024): GenerationOptions {
  const sampling = (request.temperature ?? 0) > 0;
  return {
    maxNewTokens: request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens,
    doSample: sampling,
    ...(sampling && { temperature: request.temperature!, topP: request.top_p ?? 1, topK: request.top_k ?? 0 }),
    ...(request.repetition_penalty != null && { repetitionPenalty: request.repetition_penalty }),
    ...(request.seed != null && { seed: request.seed }),
  };
}

/**
 * Text with stop strings: pieces are passed on as soon as they cannot be the start of a stop string; once one
 * appears, the text before it is the answer.
 */
export function stopFilter(stops: readonly string[]) {
  let held = '';
  let stopped = false;
  return {
    get stopped() {
      return stopped;
    },
    /** The part of `piece` that is certainly answer text. */
    push(piece: string): string {
      if (stopped) return '';
      held += piece;
      let cut = -1;
      for (const s of stops) {
        const at = held.indexOf(s);
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
      }
      if (cut >= 0) {
        stopped = true;
        const out = held.slice(0, cut);
        held = '';
        return out;
      }
      // Keep the longest tail that is a prefix of some stop string.
      let keep = 0;
      for (const s of stops) for (let k = Math.min(s.length - 1, held.length); k > keep; k--) if (held.endsWith(s.slice(0, k))) keep = k;
      const out = held.slice(0, held.length - keep);
      held = held.slice(held.length - keep);
      return out;
    },
    flush(): string {
      const out = stopped ? '' : held;
      held = '';
      return out;
    },
  };
}

const randomId = () => `chatcmpl-${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`;

/** Errors of a chat call that are the request's fault (context, tiles) rather than the server's. */
function asApiError(e: unknown): unknown {
  if (e instanceof ApiError || (e as Error)?.name === 'AbortError') return e;
  const message = (e as Error)?.message ?? String(e);
  if (message.startsWith('[scheduler] busy')) return new ApiError(429, message, null, 'queue_full');
  if (/^\[(generation|chat)\]/.test(message)) return new ApiError(400, message, 'messages', /context|exceeds/.test(message) ? 'context_length_exceeded' : null);
  return e;
}

/**
 * One chat completion: the response object, or with `stream: true` an async iterable of chunk objects (the last
 * one carries usage when `stream_options.include_usage`). Leaving the iteration early cancels the generation.
 */
export async function chatCompletions(model: ChatModel, body: unknown, o: CompletionOptions = {}): Promise<ChatCompletion | AsyncGenerator<ChatCompletionChunk>> {
  const request = parseRequest(body, o.modelName);
  const chat = await conversationRequest(request, model, o.media, o.maxTiles);
  const generation = generationOf(request, o.defaultMaxTokens);
  const stops = request.stop == null ? [] : typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  const id = randomId();
  const created = Math.floor(Date.now() / 1000);
  const name = o.modelName ?? request.model ?? 'internvl';
  const stream = model.stream({ ...chat, generation, stop: stops, ...(o.signal && { signal: o.signal }) });
  const filter = stopFilter(stops);
  const finish = (result: ChatResult): { reason: FinishReason; usage: Usage } => {
    const prompt = result.promptIds.length;
    const completion = result.ids.length;
    const details = { cached_tokens: result.stats.cachedPromptTokens };
    return { reason: result.finishReason, usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: details } };
  };

  // The answer's pieces up to a stop string; returns the chat result. Closing it early cancels the generation.
  async function* pieces(): AsyncGenerator<string, ChatResult> {
    let first = true;
    try {
      for (;;) {
        const step = await stream.next();
        if (first) (first = false), o.onFirstToken?.();
        if (step.done) {
          const tail = filter.flush();
          if (tail) yield tail;
          return step.value;
        }
        const text = filter.push(step.value);
        if (text) yield text;
      }
    } catch (e) {
      throw asApiError(e);
    } finally {
      await stream.return(undefined as never);
    }
  }

  if (!request.stream) {
    const it = pieces();
    let step = await it.next();
    while (!step.done) step = await it.next();
    const { reason, usage } = finish(step.value);
    return {
      id,
      object: 'chat.completion',
      created,
      model: name,
      choices: [{ index: 0, message: { role: 'assistant', content: step.value.response }, finish_reason: reason, logprobs: null }],
      usage,
    };
  }
  const includeUsage = request.stream_options?.include_usage === true;
  return (async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finishReason: FinishReason | null = null): ChatCompletionChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: name,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
      ...(includeUsage && { usage: null }),
    });
    yield chunk({ role: 'assistant', content: '' });
    const it = pieces();
    try {
      let step = await it.next();
      while (!step.done) {
        yield chunk({ content: step.value });
        step = await it.next();
      }
      const { reason, usage } = finish(step.value);
      yield chunk({}, reason);
      if (includeUsage) yield { id, object: 'chat.completion.chunk', created, model: name, choices: [], usage };
    } finally {
      await it.return(undefined as never);
    }
  })();
}
