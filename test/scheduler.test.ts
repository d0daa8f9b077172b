// Continuous batching on the tiny checkpoint: a sequence that arrives while another decodes joins its batch and
// ends first; admission waits (in order) until the cache can hold a sequence at full length; a sequence over the
// context, a full queue and an abort while waiting are clear errors; blocks always come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, createEngine, destroyEngine } from '../model/generate.js';
import { type LoadedModel, loadModel } from '../model/load.js';
import { type Job, createScheduler } from '../model/scheduler.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

let model: LoadedModel;
const engines: Engine[] = [];
const prompt = (text: string) => Uint32Array.from(model.tokenizer.encode(`<|im_start|>user\n${text}<|im_end|><|im_start|>assistant\n`));

function engine(options: Parameters<typeof createEngine>[1]): Engine {
  const e = createEngine(model, options);
  engines.push(e);
  return e;
}

/** A job that records its tokens and when it saw them. */
function job(ids: Uint32Array, maxNewTokens: number, log: string[], name: string, extra: Partial<Job> = {}): Job & { tokens: number[] } {
  const tokens: number[] = [];
  return {
    ids,
    options: { maxNewTokens, eosTokenId: -1 },
    onToken(token, done) {
      tokens.push(token);
      if (tokens.length === 1) log.push(`${name} first`);
      if (done) log.push(`${name} done`);
    },
    tokens,
    ...extra,
  };
}

beforeAll(async () => {
  model = await loadModel(await nodeGpu(), dirFiles(await tinyCheckpointDir()));
});
afterAll(() => {
  for (const e of engines) destroyEngine(e);
  model.destroy();
});

describe('continuous batching', () => {
  it('a sequence arriving mid-decode joins the running batch and ends first; its tokens equal its lone run', async () => {
    const e = engine({ maxContext: 256, cacheTokens: 1024 });
    const scheduler = createScheduler(e);
    const log: string[] = [];
    const lone = job(prompt('Who are you?'), 6, log, 'lone');
    await scheduler.submit(lone);

    const order: string[] = [];
    let joined: Promise<void> | undefined;
    const b = job(prompt('Who are you?'), 6, order, 'b');
    const a = job(prompt('Tell me a long story.'), 60, order, 'a', {
      onToken(token, done) {
        a.tokens.push(token);
        if (a.tokens.length === 3) joined = scheduler.submit(b);
        if (done) order.push('a done');
      },
    });
    await Promise.all([scheduler.submit(a), new Promise<void>((r) => setTimeout(r, 0)).then(async () => {
      while (!joined) await new Promise((r) => setTimeout(r, 5));
      await joined;
    })]);
    expect(order).toEqual(['b first', 'b done', 'a done']);
    expect(b.tokens).toEqual(lone.tokens);
    expect(a.tokens.length).toBe(60);
    expect([...e.decodeGraphs.keys()].some((k) => k.startsWith('2:'))).toBe(true); // decoded together
    expect(e.cache.blocks.usage().usedBlocks).toBe(0);
  });

  it('admission waits, in arrival order, until the cache holds a sequence at full length', async () => {
    // 8 blocks of 16 tokens: a needs 7 at full length, b 4 — b may only start once a has ended.
    const e = engine({ maxContext: 128, cacheTokens: 128, blockSize: 16 });
    const scheduler = createScheduler(e);
    const log: string[] = [];
    const ids = prompt('Hi');
    const a = job(ids, 100 - ids.length, log, 'a');
    const b = job(ids, 64 - ids.length, log, 'b');
    const c = job(ids, 4, log, 'c'); // would fit beside a, but waits behind b (first come, first served)
    await Promise.all([scheduler.submit(a), scheduler.submit(b), scheduler.submit(c)]);
    expect(log.indexOf('b first')).toBeGreaterThan(log.indexOf('a done'));
    expect(log.indexOf('c first')).toBeGreaterThan(log.indexOf('a done'));
    expect(e.cache.blocks.usage().usedBlocks).toBe(0);
  });

  it('refuses what can never run, a full queue and an aborted waiter, and stays usable', async () => {
    const e = engine({ maxContext: 128, cacheTokens: 128, blockSize: 16 });
    const scheduler = createScheduler(e, { maxWaiting: 1 });
    const log: string[] = [];
    const ids = prompt('Hi');
    await expect(scheduler.submit(job(ids, 200, log, 'long'))).rejects.toThrow(/exceeds the 128-token context/);
    const running = scheduler.submit(job(ids, 100 - ids.length, log, 'running'));
    const stop = new AbortController();
    const waiter = scheduler.submit(job(ids, 60, log, 'waiter', { signal: stop.signal }));
    await expect(scheduler.submit(job(ids, 2, log, 'third'))).rejects.toThrow(/busy: 1 sequences are waiting/);
    stop.abort(new Error('changed my mind'));
    await expect(waiter).rejects.toThrow('changed my mind');
    await running;
    expect(log).not.toContain('waiter first');
    await scheduler.submit(job(ids, 2, log, 'after'));
    expect(e.cache.blocks.usage().usedBlocks).toBe(0);
  });
});

describe('vision passes of arrivals', () => {
  it('run while the batch decodes: a running stream keeps producing during an arrival’s vision pass', async () => {
    const { InternVL } = await import('../model/chat.js');
    const vl = await InternVL.create(await nodeGpu(), dirFiles(await tinyCheckpointDir()), { maxContext: 2048, imageFeatureCacheBytes: 0 });
    let long: Promise<void> | undefined;
    try {
      const wide = { width: 1344, height: 896, data: new Uint8Array(1344 * 896 * 3).map((_, i) => (i * 29) & 255) };
      const times: number[] = [];
      long = (async () => {
        for await (const _ of vl.stream({ question: 'Tell me a long story.', generation: { maxNewTokens: 400, eosTokenId: -1 } })) times.push(performance.now());
      })();
      while (times.length < 3) await new Promise((r) => setTimeout(r, 5));
      const asked = performance.now();
      let answered = 0;
      for await (const _ of vl.stream({ question: 'What is this?', images: [wide], maxTiles: 6, generation: { maxNewTokens: 2 } })) {
        answered ||= performance.now();
      }
      const during = times.filter((t) => t > asked && t < answered).length;
      expect(during).toBeGreaterThan(5); // before: 0, the loop waited for the whole ViT pass of 7 tiles
      await long;
      expect(vl.cacheUsage().usedBlocks).toBe(0);
    } finally {
      await vl.destroy();
      await long?.catch(() => {}); // stopped by destroy() when an expectation failed first
    }
  }, 120_000);
});
