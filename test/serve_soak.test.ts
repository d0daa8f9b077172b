// A bounded soak of `internvl serve` on the tiny checkpoint: 300 requests from 8 concurrent clients with random
// prompts, lengths, images (3 distinct ones, so both caches work) and a fifth of them disconnecting mid-stream.
// Afterwards nothing runs, waits or holds a KV block, and tracked GPU memory and RSS stay within a stated margin of
// their values after warm-up: GPU within the image-feature cache's budget plus what the decode-graph cache may still
// record (4 graphs of at most 8 sequences, each with its [8, V] logits), the JS heap within 32 MB and RSS within
// 128 MB (both after a full collection).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import OpenAI from 'openai';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { trackGpuMemory } from '../bench/model/gpu_memory.js';
import { InternVL } from '../model/chat.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { startServer } from '../tools/node/server.js';
import { tinyCheckpointDir } from './fixtures.js';

const FEATURE_CACHE_BYTES = 1 << 20; // ~4 entries of one tile at the tiny width
const RSS_MARGIN = 128 << 20;
const HEAP_MARGIN = 32 << 20;

// A full collection before each reading, so that what is compared is what is still referenced. RSS also holds
// the allocator's and lavapipe's pools, which do not shrink, and other test files' leftovers in a reused worker:
// its margin is wide; the JS heap's is the tight one (one prefill's logits per request leaked would be 150 MB).
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const memoryNow = () => (gc(), process.memoryUsage());

/** A deterministic pseudo-random stream, so a failure reproduces. */
function random(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('serve soak', () => {
  it('300 requests with random sizes, images and disconnects leave no running work, no blocks and no growth', async () => {
    const gpu = await nodeGpu({ profile: 'auto' }); // a device of its own, so that its buffers can be counted
    const memory = trackGpuMemory(gpu.device);
    const files = dirFiles(await tinyCheckpointDir());
    const server = await startServer(() => InternVL.create(gpu, files, { maxContext: 512, imageFeatureCacheBytes: FEATURE_CACHE_BYTES, maxDecodeGraphs: 4 }), { port: 0, modelName: 'tiny', maxTiles: 1 });
    const model = await server.ready;
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    const png = (await readFile(join(import.meta.dirname, '..', 'tools', 'demo', 'example.png'))).toString('base64');
    const flat = (v: number) => sharp(Buffer.alloc(64 * 48 * 3, v), { raw: { width: 64, height: 48, channels: 3 } }).png().toBuffer();
    const images = [png, ...(await Promise.all([90, 180].map(flat))).map((b) => b.toString('base64'))];
    const rand = random(7);
    let done = 0;
    let quit = 0;

    async function one(i: number): Promise<void> {
      const withImage = rand() < 0.4;
      const text = `Request ${i}: ${'word '.repeat(Math.floor(rand() * 30))}`;
      const content = withImage
        ? [{ type: 'image_url' as const, image_url: { url: `data:image/png;base64,${images[Math.floor(rand() * images.length)]}` } }, { type: 'text' as const, text }]
        : text;
      const controller = new AbortController();
      const leave = rand() < 0.2;
      try {
        const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 1 + Math.floor(rand() * 12), stream: true }, { signal: controller.signal });
        for await (const chunk of stream) {
          if (leave && chunk.choices[0]?.delta.content) {
            controller.abort(); // the connection closes (the client library may still hold buffered chunks)
            quit++;
            break;
          }
        }
      } catch (e) {
        if (!leave) throw e;
      }
      done++;
    }

    async function clients(from: number, count: number) {
      let next = from;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < from + count) await one(next++);
      }));
    }

    try {
      await clients(0, 50); // warm-up: graphs for each batch size, both caches filled
      await new Promise((r) => setTimeout(r, 100));
      const gpuAfterWarmup = memory.liveBytes;
      const afterWarmup = memoryNow();
      await clients(50, 250);
      for (let i = 0; i < 100 && (server.metrics.running || server.metrics.waiting); i++) await new Promise((r) => setTimeout(r, 50));
      expect(done).toBe(300);
      expect(quit).toBeGreaterThan(20);
      expect(server.metrics.cancelled).toBeGreaterThan(0); // some left before their answer was complete
      expect(server.metrics.running + server.metrics.waiting).toBe(0);
      expect(model.cacheUsage().usedBlocks).toBe(0);
      expect(model.imageFeatureCache().bytes).toBeLessThanOrEqual(FEATURE_CACHE_BYTES);
      // Graphs for other batch sizes may replace those recorded at warm-up; beyond them, nothing may grow (a leak of
      // one prefill's buffers per request would be 250 × its ~0.6 MB of logits alone).
      const graphs = 4 * 8 * model.model.config.llm_config.vocab_size * 4 * 2;
      expect(memory.liveBytes - gpuAfterWarmup).toBeLessThanOrEqual(FEATURE_CACHE_BYTES + graphs);
      const atEnd = memoryNow();
      expect(atEnd.heapUsed - afterWarmup.heapUsed).toBeLessThan(HEAP_MARGIN);
      expect(atEnd.rss - afterWarmup.rss).toBeLessThan(RSS_MARGIN);
    } finally {
      await server.close();
    }
  }, 300_000);
});
