// Prefix and image-feature caching on the tiny checkpoint: a follow-up turn about the same image prefills only its
// new tokens and runs no ViT, a prefix cut inside the image tokens (by eviction) reuses the rest of the features,
// another image shares only the text before it — and every answer equals the one computed with both caches off.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatRequest, type ChatResult, InternVL, type PixelValues } from '../model/chat.js';
import { decodeImageFile } from '../tools/node/decode_image.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

let plain: InternVL; // both caches off: the reference answers
let photo: PixelValues;
let other: PixelValues;
const generation = { maxNewTokens: 8 };

async function model(options: Parameters<typeof InternVL.create>[2] = {}) {
  return InternVL.create(await nodeGpu(), dirFiles(await tinyCheckpointDir()), { maxContext: 400, cacheTokens: 512, ...options });
}

beforeAll(async () => {
  plain = await model({ prefixCacheTokens: 0, imageFeatureCacheBytes: 0 });
  photo = plain.preprocess(await decodeImageFile(join(import.meta.dirname, '..', 'tools', 'demo', 'example.png')), 1);
  other = plain.preprocess({ width: 448, height: 448, data: new Uint8Array(448 * 448 * 3).map((_, i) => (i * 13) & 255) }, 1);
});
afterAll(() => plain?.destroy());

const ask = (vl: InternVL, r: Omit<ChatRequest, 'generation'>): Promise<ChatResult> => vl.chat({ ...r, generation });

describe('prefix and image-feature caches', () => {
  it('a second turn about the same image prefills only its new tokens, runs no ViT, and answers as uncached', async () => {
    const vl = await model();
    try {
      const first = await ask(vl, { question: 'What is this?', pixelValues: photo });
      expect(first.stats.cachedPromptTokens).toBe(0);
      const second = await ask(vl, { question: 'Tell me more.', pixelValues: photo, history: first.history });
      const blocks = Math.floor(first.promptIds.length / 16);
      expect(second.stats.cachedPromptTokens).toBe(blocks * 16);
      expect(second.stats.prefillTokens).toBe(second.promptIds.length - blocks * 16);
      expect(second.stats.visionCached).toBe(true);
      expect(vl.imageFeatureCache()).toMatchObject({ misses: 1, hits: 0 }); // the KV blocks held every image token
      const reference = await ask(plain, { question: 'Tell me more.', pixelValues: photo, history: (await ask(plain, { question: 'What is this?', pixelValues: photo })).history });
      expect(second.ids).toEqual(reference.ids);
      expect(vl.cacheUsage()).toMatchObject({ usedBlocks: 0, cachedBlocks: expect.any(Number) });
      expect(vl.cacheUsage().cachedBlocks).toBeGreaterThan(0);
    } finally {
      await vl.destroy();
    }
  });

  it('a prefix cut inside the image tokens by eviction reuses the rest of the image features', async () => {
    const vl = await model(); // 32 blocks of 16 tokens
    try {
      const first = await ask(vl, { question: 'What is this?', pixelValues: photo });
      // A text request large enough to reclaim the least recently released kept blocks: the chain's tail.
      await vl.chat({ question: 'Count.', generation: { maxNewTokens: 200, eosTokenId: -1 } });
      const again = await ask(vl, { question: 'What is this?', pixelValues: photo });
      const imageStart = first.promptIds.indexOf(151648);
      expect(again.stats.cachedPromptTokens).toBeGreaterThan(imageStart);
      expect(again.stats.cachedPromptTokens).toBeLessThan(imageStart + 256);
      expect(again.stats.visionCached).toBe(true); // the features came from the image-feature cache
      expect(again.ids).toEqual(first.ids);
      expect((await ask(plain, { question: 'What is this?', pixelValues: photo })).ids).toEqual(first.ids);
    } finally {
      await vl.destroy();
    }
  });

  it('another image shares only the text before it, and answers as uncached', async () => {
    const vl = await model();
    try {
      const first = await ask(vl, { question: 'What is this?', pixelValues: photo });
      const second = await ask(vl, { question: 'What is this?', pixelValues: other });
      const imageStart = first.promptIds.indexOf(151648);
      expect(second.stats.cachedPromptTokens).toBe(Math.floor(imageStart / 16) * 16);
      expect(second.stats.visionCached).toBe(false);
      expect(second.ids).toEqual((await ask(plain, { question: 'What is this?', pixelValues: other })).ids);
    } finally {
      await vl.destroy();
    }
  });

  it('a KV cache dtype that does not exist is a clear error', async () => {
    await expect(model({ kvCache: 'f8' as 'f16' })).rejects.toThrow(/kvCache must be 'f32' or 'f16', got "f8"/);
  });

  it('f16 KV cache: a turn over the cached prefix answers as the whole prompt prefilled at once', async () => {
    // Prefill attends to the keys and values as the f16 cache holds them, so the cached prefix read back by the
    // extend pass is what a single prefill would have attended to.
    const [vl, uncached] = await Promise.all([model({ kvCache: 'f16' }), model({ kvCache: 'f16', prefixCacheTokens: 0, imageFeatureCacheBytes: 0 })]);
    try {
      const first = await ask(vl, { question: 'What is this?', pixelValues: photo });
      const second = await ask(vl, { question: 'Tell me more.', pixelValues: photo, history: first.history });
      expect(second.stats.cachedPromptTokens).toBeGreaterThan(256);
      const reference = await ask(uncached, { question: 'Tell me more.', pixelValues: photo, history: (await ask(uncached, { question: 'What is this?', pixelValues: photo })).history });
      expect(reference.stats.cachedPromptTokens).toBe(0);
      expect(second.ids).toEqual(reference.ids);
    } finally {
      await Promise.all([vl.destroy(), uncached.destroy()]);
    }
  });
});
