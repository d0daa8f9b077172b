// Generation on the tiny checkpoint: seeded sampling is reproducible, GPU and host samplers agree token for
// token, stop tokens and max_new_tokens end sequences, the context limit is a clear error that leaves the
// engine usable, the paged cache gives every block back, and streaming pieces add up to the response.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternVL, concatPixelValues } from '../model/chat.js';
import { type Engine, type GenerationOptions, contextBucket, createEngine, destroyEngine, newStats } from '../model/generate.js';
import { generate } from '../model/scheduler.js';
import { type LoadedModel, loadModel } from '../model/load.js';
import { decodeImageFile } from '../tools/node/decode_image.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

let model: LoadedModel;
let engine: Engine;
const prompt = () => Uint32Array.from(model.tokenizer.encode('<|im_start|>user\nTell me a story.<|im_end|><|im_start|>assistant\n'));

async function tokens(e: Engine, options: GenerationOptions, requests = [{ ids: prompt() }]): Promise<number[][]> {
  const out: number[][] = requests.map(() => []);
  for await (const ev of generate(e, requests, options)) out[ev.index]!.push(ev.token);
  return out;
}

beforeAll(async () => {
  model = await loadModel(await nodeGpu(), dirFiles(await tinyCheckpointDir()));
  engine = createEngine(model, { maxContext: 256, cacheTokens: 1024 });
});
afterAll(() => {
  destroyEngine(engine);
  model.destroy();
});

describe('generation', () => {
  const sampled: GenerationOptions = { doSample: true, temperature: 1.5, topK: 50, topP: 0.95, repetitionPenalty: 1.2, maxNewTokens: 12, seed: 7 };

  it('seeded sampling is reproducible and the seed matters', async () => {
    const [a] = await tokens(engine, sampled);
    const [b] = await tokens(engine, sampled);
    const [c] = await tokens(engine, { ...sampled, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a!.length).toBe(12);
  });

  it('the GPU sampler draws exactly the host sampler’s tokens (batch of 2)', async () => {
    const gpuEngine = createEngine(model, { maxContext: 256, cacheTokens: 1024, sampleOn: 'gpu' });
    const hostEngine = createEngine(model, { maxContext: 256, cacheTokens: 1024, sampleOn: 'host' });
    try {
      const requests = [{ ids: prompt() }, { ids: prompt().slice(0, 9) }];
      const viaGpu = await tokens(gpuEngine, { ...sampled, maxNewTokens: 6 }, requests);
      const viaHost = await tokens(hostEngine, { ...sampled, maxNewTokens: 6 }, requests);
      expect(viaGpu).toEqual(viaHost);
    } finally {
      destroyEngine(gpuEngine);
      destroyEngine(hostEngine);
    }
  });

  it('stops on the eos token (reported, then nothing more)', async () => {
    const [greedy] = await tokens(engine, { maxNewTokens: 5 });
    const [stopped] = await tokens(engine, { maxNewTokens: 5, eosTokenId: greedy![2]! });
    expect(stopped).toEqual(greedy!.slice(0, 3));
  });

  it('refuses a prompt + max_new_tokens over the context, and stays usable', async () => {
    await expect(tokens(engine, { maxNewTokens: 250 })).rejects.toThrow(/exceeds the 256-token context/);
    const [after] = await tokens(engine, { maxNewTokens: 2 });
    expect(after!.length).toBe(2);
  });

  it('decoding across context buckets (64 → 128 tokens) picks what a fresh prefill of the same tokens picks', async () => {
    expect([1, 64, 65, 128, 129, 4096, 5000].map((n) => contextBucket(256, n))).toEqual([64, 64, 128, 128, 256, 256, 256]);
    const base = prompt();
    const ids = Uint32Array.from({ length: 58 }, (_, i) => base[i % base.length]!);
    const [generated] = await tokens(engine, { maxNewTokens: 12, eosTokenId: -1 }, [{ ids }]);
    const contexts = [...engine.decodeGraphs.values()].filter((g) => g.batch === 1 && g.picker === 'argmax').map((g) => g.context);
    expect(contexts).toEqual(expect.arrayContaining([64, 128]));
    // teacher forcing through the prefill graph (no decode graph, no paged decode attention) as the reference
    for (let j = 0; j < generated!.length; j++) {
      const [next] = await tokens(engine, { maxNewTokens: 1 }, [{ ids: Uint32Array.from([...ids, ...generated!.slice(0, j)]) }]);
      expect(next![0], `token ${j}`).toBe(generated![j]);
    }
    expect(engine.cache.blocks.usage().usedBlocks).toBe(0);
  });

  it('greedy steps submitted ahead of the readback (the gpu profile\'s decode_pipeline) give the same tokens', async () => {
    const ahead = await loadModel(await nodeGpu({ variants: { decode_pipeline: 'submit_ahead' } }), dirFiles(await tinyCheckpointDir()));
    const aheadEngine = createEngine(ahead, { maxContext: 256, cacheTokens: 1024 });
    try {
      // different lengths and an eos that ends one sequence early: the batch shrinks while a step is in flight
      const base = prompt();
      const requests = [{ ids: base }, { ids: base.slice(0, 7) }, { ids: Uint32Array.from({ length: 60 }, (_, i) => base[i % base.length]!) }];
      const inTurn = await tokens(engine, { maxNewTokens: 9 }, requests);
      const eos = inTurn[1]![3]!;
      const wanted = await tokens(engine, { maxNewTokens: 9, eosTokenId: eos }, requests);
      expect(await tokens(aheadEngine, { maxNewTokens: 9 }, requests)).toEqual(inTurn);
      // and the pipelining happened: steps went out while the previous one was still in flight
      const stats = newStats();
      for await (const _ of generate(aheadEngine, [{ ids: base }], { maxNewTokens: 9, eosTokenId: -1 }, stats)) void _;
      expect(stats.stepsAhead).toBeGreaterThan(0);
      const inTurnStats = newStats();
      for await (const _ of generate(engine, [{ ids: base }], { maxNewTokens: 9, eosTokenId: -1 }, inTurnStats)) void _;
      expect(inTurnStats.stepsAhead).toBe(0);
      expect(await tokens(aheadEngine, { maxNewTokens: 9, eosTokenId: eos }, requests)).toEqual(wanted);
      expect(wanted[1]!.length).toBeLessThan(9);
      expect(aheadEngine.cache.blocks.usage().usedBlocks).toBe(0);
    } finally {
      destroyEngine(aheadEngine);
      ahead.destroy();
      ahead.gpu.device.destroy();
    }
  });

  it('gives every KV block back when sequences end', async () => {
    await tokens(engine, { maxNewTokens: 3 }, [{ ids: prompt() }, { ids: prompt() }, { ids: prompt().slice(0, 3) }]);
    expect(engine.cache.blocks.usage().usedBlocks).toBe(0);
  });
});

describe('chat API', () => {
  it('streams pieces that add up to the response, and returns the history', async () => {
    const vl = await InternVL.create(await nodeGpu(), dirFiles(await tinyCheckpointDir()), { maxContext: 1024 });
    try {
      const image = await decodeImageFile(join(import.meta.dirname, '..', 'tools', 'demo', 'example.png'));
      const stream = vl.stream({ question: 'What is this?', images: [image], generation: { maxNewTokens: 10 } });
      const pieces: string[] = [];
      let step = await stream.next();
      while (!step.done) {
        pieces.push(step.value);
        step = await stream.next();
      }
      const result = step.value;
      expect(pieces.join('').trim()).toBe(result.response);
      expect(result.history).toEqual([['<image>\nWhat is this?', result.response]]);
      const again = await vl.chat({ question: 'What is this?', images: [image], generation: { maxNewTokens: 10 } });
      expect(again.response).toBe(result.response);
      expect(vl.cacheUsage().usedBlocks).toBe(0);
      await expect(vl.chat({ question: 'x', images: [image], numPatchesList: [2] })).rejects.toThrow(/does not sum to the 1 tiles/);

      // batch_chat: each answer equals the single-question chat of the same image (sequences share the cache)
      const wide = vl.preprocess({ width: 896, height: 448, data: new Uint8Array(896 * 448 * 3).map((_, i) => (i * 31) & 255) }, 6);
      const one = vl.preprocess(image, 6);
      const questions = ['Describe the image.', 'What colour is the sky?'];
      const generation = { maxNewTokens: 6 };
      const batch = await vl.batchChat({ questions, pixelValues: concatPixelValues([one, wide]), numPatchesList: [one.tiles, wide.tiles], generation });
      const single = [
        (await vl.chat({ question: questions[0]!, pixelValues: one, generation })).response,
        (await vl.chat({ question: questions[1]!, pixelValues: wide, generation })).response,
      ];
      expect(wide.tiles).toBe(3);
      expect(batch).toEqual(single);
      expect(batch.every((r) => r.length > 0)).toBe(true);
      expect(vl.cacheUsage().usedBlocks).toBe(0);
    } finally {
      await vl.destroy();
    }
  });
});
