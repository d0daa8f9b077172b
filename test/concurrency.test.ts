// Concurrent calls on one model (issue: two chats at once returned each other's tokens): every call made
// together with others returns exactly what it returns alone, abandoned streams give their turn and cache
// blocks back, cancellation works while waiting, and destroy() rejects pending calls with a clear error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatRequest, InternVL, type PixelValues, concatPixelValues } from '../model/chat.js';
import { decodeImageFile } from '../tools/node/decode_image.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

let vl: InternVL;
let photo: PixelValues;
let wide: PixelValues;
const generation = { maxNewTokens: 6 };

beforeAll(async () => {
  vl = await InternVL.create(await nodeGpu(), dirFiles(await tinyCheckpointDir()), { maxContext: 2048, cacheTokens: 8192 });
  const image = await decodeImageFile(join(import.meta.dirname, '..', 'tools', 'demo', 'example.png'));
  photo = vl.preprocess(image, 2);
  wide = vl.preprocess({ width: 896, height: 448, data: new Uint8Array(896 * 448 * 3).map((_, i) => (i * 37) & 255) }, 2);
});
afterAll(async () => {
  await vl?.destroy();
});

/** The pieces of a stream, up to `limit` of them; stops (return()) once the limit is reached. */
async function readPieces(stream: AsyncGenerator<string, unknown>, limit = Infinity): Promise<string[]> {
  const pieces: string[] = [];
  for await (const piece of stream) {
    pieces.push(piece);
    if (pieces.length === limit) break;
  }
  return pieces;
}

describe('concurrent calls on one model', () => {
  // functions: the pixel values exist only after beforeAll
  const chats = (): Record<string, ChatRequest> => ({
    text: { question: 'alpha one', generation },
    unicode: { question: 'beta two 你好', generation },
    image: { question: 'What is in the picture?', pixelValues: photo, generation: { maxNewTokens: 5 } },
    sampled: { question: 'Tell me a story.', generation: { maxNewTokens: 7, doSample: true, temperature: 1.3, topK: 40, seed: 3 } },
  });
  const batch = () => ({ questions: ['Describe the image.', 'What colour is it?'], pixelValues: concatPixelValues([photo, wide]), numPatchesList: [photo.tiles, wide.tiles], generation });
  const streamed = (): ChatRequest => ({ question: 'Count to ten.', generation: { maxNewTokens: 12 } });

  it('each call returns what it returns alone, under any interleaving', async () => {
    const requests = chats();
    const alone: Record<string, number[]> = {};
    for (const [name, r] of Object.entries(requests)) alone[name] = (await vl.chat(r)).ids;
    const batchAlone = await vl.batchChat(batch());
    const streamAlone = await readPieces(vl.stream(streamed()));
    expect(streamAlone.length).toBeGreaterThan(2); // so that stopping after two pieces abandons a live stream
    const withHistory: ChatRequest = { question: 'And then?', history: [['<image>\nWhat is in the picture?', 'a cat']], pixelValues: photo, generation };
    const historyAlone = (await vl.chat(withHistory)).ids;

    const unread = vl.stream(streamed()); // never read: must not hold up the calls behind it
    const together = await Promise.all([
      vl.chat(requests.text!),
      readPieces(vl.stream(streamed()), 2),
      vl.chat(requests.image!),
      vl.batchChat(batch()),
      vl.chat(requests.unicode!),
      vl.chat(withHistory),
      vl.chat(requests.sampled!),
    ]);
    const [text, abandoned, image, batched, unicode, history, sampled] = together;
    expect(text.ids).toEqual(alone.text);
    expect(abandoned).toEqual(streamAlone.slice(0, 2));
    expect(image.ids).toEqual(alone.image);
    expect(batched).toEqual(batchAlone);
    expect(unicode.ids).toEqual(alone.unicode);
    expect(history.ids).toEqual(historyAlone);
    expect(sampled.ids).toEqual(alone.sampled);
    expect(await readPieces(unread)).toEqual(streamAlone);

    expect(vl.cacheUsage().usedBlocks).toBe(0);
    expect((await vl.chat(requests.text!)).ids).toEqual(alone.text);
  });

  it('a call cancelled while it waits never runs; one cancelled while running frees its blocks', async () => {
    const waiting = new AbortController();
    const first = vl.chat({ question: 'alpha one', generation: { maxNewTokens: 40 } });
    const cancelled = vl.chat({ question: 'beta', generation, signal: waiting.signal });
    waiting.abort(new Error('not needed any more'));
    await expect(cancelled).rejects.toThrow('not needed any more');
    await first;

    const running = new AbortController();
    const long = vl.chat({ question: 'alpha one', generation: { maxNewTokens: 200 }, signal: running.signal });
    setTimeout(() => running.abort(new Error('user pressed stop')), 50);
    await expect(long).rejects.toThrow('user pressed stop');
    expect(vl.cacheUsage().usedBlocks).toBe(0);
    expect((await vl.chat({ question: 'alpha one', generation })).response).toBeTypeOf('string');
  });
});

describe('destroy() with calls pending', () => {
  it('rejects running and waiting calls with a clear error, then every later call', async () => {
    const own = await InternVL.create(await nodeGpu(), dirFiles(await tinyCheckpointDir()), { maxContext: 1024 });
    const running = own.chat({ question: 'alpha one', pixelValues: photo, generation: { maxNewTokens: 100 } });
    const waiting = own.batchChat(batch());
    const stream = own.stream({ question: 'beta two', generation });
    const outcomes = [running, waiting, readPieces(stream)].map((p) => p.then(() => 'resolved', (e: Error) => e.message));
    await own.destroy();
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toMatch(/model was destroyed/);
    await expect(own.chat({ question: 'x' })).rejects.toThrow(/model was destroyed/);
    await expect(own.destroy()).resolves.toBeUndefined();
  });

  function batch() {
    return { questions: ['a', 'b'], pixelValues: concatPixelValues([photo, photo]), numPatchesList: [photo.tiles, photo.tiles], generation };
  }
});
