// `internvl serve`: an OpenAI-compatible HTTP server over one loaded model. POST /v1/chat/completions (JSON or
// server-sent events), GET /v1/models, GET /health (503 while loading), GET /metrics (Prometheus).
// Requests are stateless, so several servers (one per GPU) behind any HTTP load balancer scale out.
//
// Every failure is an OpenAI error object with its status; a client that goes away cancels its generation and
// frees its KV blocks; nothing a client sends can stop the process.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InternVL } from '../../model/chat.js';
import { ApiError, type ChatCompletion, type ChatCompletionChunk } from '../../model/openai_api.js';
import { serverMedia } from './server_media.js';
import { type ServerMetrics, serverMetrics } from './server_metrics.js';

export interface ServeOptions {
  readonly host?: string;
  readonly port?: number;
  /** Requests waiting for their turn beyond which new ones get 429. */
  readonly maxQueue?: number;
  /** Required `Authorization: Bearer KEY` on /v1/* when set. */
  readonly apiKey?: string;
  readonly modelName?: string;
  readonly maxBodyBytes?: number;
  readonly mediaDir?: string;
  readonly videoFrames?: number;
  readonly maxTiles?: number;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly metrics: ServerMetrics;
  /** Resolves once the model is loaded and requests are served. */
  readonly ready: Promise<InternVL>;
  /** Stops listening, ends open connections and destroys the model. */
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
};

async function readBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new ApiError(413, `the request body is ${declared} bytes; the limit is ${maxBytes}`, null, 'request_too_large');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ApiError(413, `the request body is over the ${maxBytes}-byte limit`, null, 'request_too_large');
    parts.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (e) {
    throw new ApiError(400, `the request body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json');
  }
}

export async function startServer(load: () => Promise<InternVL>, o: ServeOptions = {}): Promise<RunningServer> {
  const name = o.modelName ?? 'OpenGVLab/InternVL2-1B';
  const maxQueue = o.maxQueue ?? 64;
  const maxBodyBytes = o.maxBodyBytes ?? 64 << 20;
  const media = serverMedia({ ...(o.mediaDir !== undefined && { mediaDir: o.mediaDir }), videoFrames: o.videoFrames ?? 8 });
  const metrics = serverMetrics();
  let model: InternVL | undefined;
  const ready = load().then((m) => (model = m));
  ready.catch((e: unknown) => o.log?.(`loading the model failed: ${(e as Error).message}`));

  async function completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!model) throw new ApiError(503, 'the model is still loading; GET /health says when it is ready', null, 'model_loading');
    const body = await readBody(req, maxBodyBytes);
    if (metrics.waiting >= maxQueue) throw new ApiError(429, `the server is busy: ${metrics.waiting} requests are waiting (--max-queue ${maxQueue}); retry later`, null, 'queue_full');
    // The client going away (before the answer is complete) cancels the generation.
    const gone = new AbortController();
    res.on('close', () => {
      if (res.writableFinished) return;
      metrics.cancel();
      gone.abort(new Error('the client disconnected'));
    });
    const request = metrics.start();
    try {
      const result = await model.chatCompletions(body as never, { media, modelName: name, signal: gone.signal, onFirstToken: request.firstToken, ...(o.maxTiles !== undefined && { maxTiles: o.maxTiles }) });
      if (!(Symbol.asyncIterator in result)) {
        request.end((result as ChatCompletion).usage);
        return json(res, 200, result);
      }
      const chunks = result as AsyncGenerator<ChatCompletionChunk>;
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      let usage: ChatCompletionChunk['usage'];
      try {
        for await (const chunk of chunks) {
          if (gone.signal.aborted) break;
          usage = chunk.usage ?? usage;
          res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        }
        if (!gone.signal.aborted) res.end('data: [DONE]\n\n');
      } catch (e) {
        // Headers are out: the error goes as the stream's last event.
        if (!gone.signal.aborted) {
          const error = e instanceof ApiError ? e : new ApiError(500, (e as Error).message);
          metrics.error(error.status);
          res.end(`data: ${JSON.stringify(error.toJSON())}\n\ndata: [DONE]\n\n`);
        }
      } finally {
        request.end(usage ?? undefined);
      }
    } catch (e) {
      request.end();
      throw e;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health') return json(res, model ? 200 : 503, { status: model ? 'ok' : 'loading' });
    if (path === '/metrics') {
      const text = metrics.text(model?.cacheUsage(), model?.imageFeatureCache());
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(text);
      return;
    }
    if (path.startsWith('/v1/') && o.apiKey !== undefined && req.headers.authorization !== `Bearer ${o.apiKey}`) {
      throw new ApiError(401, 'Incorrect API key provided', null, 'invalid_api_key');
    }
    if (path === '/v1/models' && req.method === 'GET') {
      return json(res, 200, { object: 'list', data: [{ id: name, object: 'model', created: 0, owned_by: 'internvl-webgpu' }] });
    }
    if (path === '/v1/chat/completions') {
      if (req.method !== 'POST') throw new ApiError(405, 'use POST for /v1/chat/completions');
      return completions(req, res);
    }
    throw new ApiError(404, `no route ${req.method} ${path}`, null, 'not_found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const error = e instanceof ApiError ? e : new ApiError(500, `internal error: ${(e as Error)?.message ?? e}`);
      metrics.error(error.status);
      if (error.status >= 500) o.log?.(`${req.method} ${req.url}: ${(e as Error)?.stack ?? e}`);
      if (res.headersSent) return void res.destroy();
      // A body left unread (413) is not drained: the connection closes after the answer.
      json(res.setHeader('Connection', req.complete ? 'keep-alive' : 'close'), error.status, error.toJSON());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8000, o.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    metrics,
    ready,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await (await ready.catch(() => undefined))?.destroy();
    },
  };
}
