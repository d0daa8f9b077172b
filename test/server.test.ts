// `internvl serve` over real HTTP on 127.0.0.1 with the official `openai` client, on the tiny checkpoint: answers
// equal `internvl generate` (streamed or not), a second turn reuses the cached prefix and another system message
// the cached image features (each answer equal to the uncached one), 16 concurrent streaming clients each get
// their lone answer while 4 of them disconnect, every error is an OpenAI error object with its status and is
// followed by a good request, /health is 503 while the model loads, and afterwards nothing runs, waits or holds a
// KV block (prefix-cache blocks are reported apart).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InternVL } from '../model/chat.js';
import { postprocessResponse as strip } from '../model/conversation.js';
import { InternVL as NodeInternVL, loadImage } from '../tools/node/internvl.js';
import { type RunningServer, startServer } from '../tools/node/server.js';
import { tinyCheckpointDir } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const EXAMPLE = join(root, 'tools', 'demo', 'example.png');
const KEY = 'sk-test-key';
const MAX_CONTEXT = 1024;

let dir: string;
let server: RunningServer;
let model: InternVL;
let client: OpenAI;
let imageUrl: string;

beforeAll(async () => {
  dir = await tinyCheckpointDir();
  imageUrl = `data:image/png;base64,${(await readFile(EXAMPLE)).toString('base64')}`;
  server = await startServer(() => NodeInternVL.load(dir, { maxContext: MAX_CONTEXT }), { port: 0, modelName: 'tiny', apiKey: KEY, maxBodyBytes: 2 << 20, maxTiles: 1, videoFrames: 2 });
  model = await server.ready;
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
}, 120_000);
afterAll(() => server?.close());

const userImage = (question: string) => [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: imageUrl } }, { type: 'text' as const, text: question }] }];

async function streamText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<{ text: string; finish: string | null; usage?: OpenAI.CompletionUsage | null }> {
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { text, finish, usage };
}

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as { error?: { message: string; type: string; param: string | null; code: string | null } } };
}

/** A request that must succeed after an error. */
async function stillServes() {
  const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 });
  expect(r.choices[0]!.message.role).toBe('assistant');
  expect(r.usage!.completion_tokens).toBeGreaterThan(0);
}

async function idle() {
  for (let i = 0; i < 100 && (server.metrics.running || server.metrics.waiting || model.cacheUsage().usedBlocks); i++) await new Promise((r) => setTimeout(r, 50));
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/^internvl_requests_running 0$/m);
  expect(metrics).toMatch(/^internvl_requests_waiting 0$/m);
  expect(metrics).toMatch(/^internvl_kv_cache_blocks_used 0$/m);
  expect(model.cacheUsage().usedBlocks).toBe(0);
}

describe('internvl serve', () => {
  it('answers equal internvl generate for the same prompt and image, streamed or not', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', join(root, 'tools', 'internvl.ts'), 'generate', '--model', dir, '--image', EXAMPLE, '--max-tiles', '1', '--prompt', 'What is this?', '--max-new-tokens', '12', '--max-context', String(MAX_CONTEXT), '--json'],
      { cwd: root, env: { ...process.env, HF_HUB_OFFLINE: '1', INTERNVL_PROFILE: '', INTERNVL_VARIANTS: '' } },
    );
    const cli = JSON.parse(stdout) as { ids: number[]; text: string; prompt_ids: number[] };
    const plain = await client.chat.completions.create({ model: 'tiny', messages: userImage('What is this?'), max_tokens: 12 });
    expect(plain.choices[0]!.message.content).toBe(cli.text);
    expect(plain.usage).toMatchObject({ prompt_tokens: cli.prompt_ids.length, completion_tokens: cli.ids.length, prompt_tokens_details: { cached_tokens: 0 } });
    expect(plain.choices[0]!.finish_reason).toBe(cli.ids.length === 12 && cli.ids.at(-1) !== 151645 ? 'length' : 'stop');
    const streamed = await streamText(await client.chat.completions.create({ model: 'tiny', messages: userImage('What is this?'), max_tokens: 12, stream: true, stream_options: { include_usage: true } }));
    expect(strip(streamed.text)).toBe(cli.text);
    expect(streamed.finish).toBe(plain.choices[0]!.finish_reason);
    expect(streamed.usage).toMatchObject({ prompt_tokens: cli.prompt_ids.length, completion_tokens: cli.ids.length });
    // The same prompt again: every full block came from the prefix cache (the CLI computed it without caches).
    expect(streamed.usage!.prompt_tokens_details!.cached_tokens).toBe(Math.floor(cli.prompt_ids.length / 16) * 16);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
  }, 120_000);

  it('a second turn with the same image reuses the cached prefix; another system message reuses the image features', async () => {
    const first = await client.chat.completions.create({ model: 'tiny', messages: userImage('Describe it.'), max_tokens: 8 });
    const turn = [...userImage('Describe it.'), { role: 'assistant' as const, content: first.choices[0]!.message.content! }, { role: 'user' as const, content: 'More?' }];
    const second = await client.chat.completions.create({ model: 'tiny', messages: turn, max_tokens: 8 });
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(256); // the image tokens at least
    const hits = model.imageFeatureCache().hits;
    const system = [{ role: 'system' as const, content: 'Be brief.' }, ...userImage('Describe it.')];
    const viaFeatures = await client.chat.completions.create({ model: 'tiny', messages: system, max_tokens: 8 });
    expect(model.imageFeatureCache().hits).toBe(hits + 1);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(new RegExp(`^internvl_image_feature_cache_hits_total ${hits + 1}$`, 'm'));
    // Each equals the answer computed with both caches off.
    const uncached = await NodeInternVL.load(dir, { maxContext: MAX_CONTEXT, prefixCacheTokens: 0, imageFeatureCacheBytes: 0 });
    try {
      const image = await loadImage(EXAMPLE);
      const a = await uncached.chat({ question: 'Describe it.', images: [image], maxTiles: 1, generation: { maxNewTokens: 8 } });
      const b = await uncached.chat({ question: 'More?', images: [image], maxTiles: 1, history: a.history, generation: { maxNewTokens: 8 } });
      const c = await uncached.chat({ question: 'Describe it.', images: [image], maxTiles: 1, systemMessage: 'Be brief.', generation: { maxNewTokens: 8 } });
      expect([first, second, viaFeatures].map((r) => r.choices[0]!.message.content)).toEqual([a.response, b.response, c.response]);
    } finally {
      await uncached.destroy();
    }
    await idle();
  }, 120_000);

  it('16 concurrent streaming clients each get their lone answer; 4 disconnect mid-stream; nothing is left behind', async () => {
    const image = await loadImage(EXAMPLE);
    const questions = Array.from({ length: 16 }, (_, i) => `Question ${i}: what do you see?`);
    const alone: string[] = [];
    for (const [i, q] of questions.entries()) {
      const r = await model.chat({ question: i % 3 === 0 ? `<image>\n${q}` : q, ...(i % 3 === 0 && { images: [image], maxTiles: 1 }), generation: { maxNewTokens: 8 } });
      alone.push(r.response);
    }
    const quitters = new Set([1, 6, 10, 13]);
    const results = await Promise.all(
      questions.map(async (q, i) => {
        const controller = new AbortController();
        const stream = await client.chat.completions.create(
          { model: 'tiny', messages: i % 3 === 0 ? userImage(q) : [{ role: 'user', content: q }], max_tokens: 8, stream: true },
          { signal: controller.signal },
        );
        let text = '';
        try {
          for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? '';
            if (quitters.has(i) && text) {
              controller.abort(); // the connection closes; the client library may still hold buffered chunks
              return undefined;
            }
          }
        } catch (e) {
          if (!quitters.has(i)) throw e;
          return undefined;
        }
        return text;
      }),
    );
    results.forEach((text, i) => {
      if (!quitters.has(i)) expect(strip(text!), `client ${i}`).toBe(alone[i]);
    });
    await idle();
  }, 180_000);

  it('every error is an OpenAI error object with its status, and the server goes on serving', async () => {
    const good = JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    const cases: [string, () => Promise<{ status: number; body: { error?: { param: string | null; code: string | null; message: string } } }>, number, string | null][] = [
      ['malformed JSON', () => post('{"messages": [', {}), 400, 'invalid_json'],
      ['an unknown field', () => post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], logit_bias: {} })), 400, null],
      ['an invalid field', () => post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], temperature: 9 })), 400, null],
      ['n > 1', () => post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], n: 2 })), 400, null],
      ['an unreadable image', () => post(JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] })), 400, 'invalid_media'],
      ['a local file without --media-dir', () => post(JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: EXAMPLE } }] }] })), 400, 'invalid_media'],
      ['a prompt over the context', () => post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: MAX_CONTEXT })), 400, 'context_length_exceeded'],
      ['an unknown model', () => post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })), 404, 'model_not_found'],
      ['a wrong API key', () => post(good, { Authorization: 'Bearer wrong' }), 401, 'invalid_api_key'],
      ['a body over the limit', () => post(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(3 << 20) }] })), 413, 'request_too_large'],
      ['an unknown route', async () => { const r = await fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}` } }); return { status: r.status, body: await r.json() }; }, 404, 'not_found'],
    ];
    for (const [what, send, status, code] of cases) {
      const r = await send();
      expect(r.status, what).toBe(status);
      expect(r.body.error, what).toMatchObject({ message: expect.any(String), type: expect.any(String) });
      if (code) expect(r.body.error!.code, what).toBe(code);
      await stillServes();
    }
    // The openai client sees the same errors as its own exception classes.
    await expect(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], temperature: 9 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await idle();
  }, 120_000);

  it('a full queue answers 429 and the requests it took complete', async () => {
    const small = await startServer(() => NodeInternVL.load(dir, { maxContext: 256 }), { port: 0, maxQueue: 3, modelName: 'small' });
    try {
      await small.ready;
      const smallClient = new OpenAI({ baseURL: `${small.url}/v1`, apiKey: 'none', maxRetries: 0 });
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          smallClient.chat.completions.create({ messages: [{ role: 'user', content: 'Count to ten.' }], max_tokens: 16, model: 'small' }).then(
            () => 'ok',
            (e: unknown) => (e instanceof OpenAI.RateLimitError ? 429 : e),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 429).length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(3);
      expect(outcomes.every((o) => o === 'ok' || o === 429)).toBe(true);
      const after = await smallClient.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, model: 'small' });
      expect(after.choices[0]!.finish_reason).toMatch(/stop|length/);
    } finally {
      await small.close();
    }
  }, 120_000);

  it('stop strings end the answer before them', async () => {
    const full = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Tell me more.' }], max_tokens: 12 });
    const text = full.choices[0]!.message.content!;
    const at = Array.from(text, (_, i) => i).find((i) => i >= 3 && /^\S\S$/u.test(text.slice(i, i + 2)));
    expect(at, `a 2-character stop string inside ${JSON.stringify(text)}`).toBeDefined();
    const stop = text.slice(at, at! + 2);
    const cut = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Tell me more.' }], max_tokens: 12, stop: [stop] });
    expect(cut.choices[0]!.message.content).toBe(strip(text.slice(0, text.indexOf(stop))));
    expect(cut.choices[0]!.finish_reason).toBe('stop');
    const streamed = await streamText(await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Tell me more.' }], max_tokens: 12, stop, stream: true }));
    expect(strip(streamed.text)).toBe(cut.choices[0]!.message.content);
    await idle();
  }, 60_000);

  it('a video_url is sampled by get_index into Frame-N slots', async () => {
    const clip = join(await mkdtemp(join(tmpdir(), 'serve-video-')), 'clip.mkv');
    await promisify(execFile)('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '20', '-c:v', 'ffv1', clip]);
    const url = `data:video/x-matroska;base64,${(await readFile(clip)).toString('base64')}`;
    const r = await client.chat.completions.create({ model: 'tiny', max_tokens: 2, messages: [{ role: 'user', content: [{ type: 'video_url', video_url: { url } } as never, { type: 'text', text: 'What happens?' }] }] });
    // 2 frames (videoFrames) of 256 image tokens each, plus the text around them
    expect(r.usage!.prompt_tokens).toBeGreaterThan(2 * 256);
    expect(r.usage!.prompt_tokens).toBeLessThan(3 * 256);
    await idle();
  }, 60_000);

  it('/health is 503 while the model loads, and completions are refused until it is ready', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loading = await startServer(async () => (await gate, NodeInternVL.load(dir, { maxContext: 256 })), { port: 0 });
    try {
      expect((await fetch(`${loading.url}/health`)).status).toBe(503);
      const early = await fetch(`${loading.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(early.status).toBe(503);
      release();
      await loading.ready;
      expect((await fetch(`${loading.url}/health`)).status).toBe(200);
    } finally {
      release();
      await loading.close();
    }
  }, 60_000);
});
