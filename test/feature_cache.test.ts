// The image-feature cache on stand-in tensors and keys: a hit for the same pixels (not for other pixels), recency order,
// eviction past the budget that never frees an entry in use, failed passes not cached, and 0 bytes = off.
import { describe, expect, it } from 'vitest';
import { createFeatureCache } from '../model/feature_cache.js';
import type { Tensor } from '../runtime/tensor.js';

/** A [rows, 4] f32 stand-in whose buffer records being destroyed. */
function tensor(rows: number, log: string[], name: string): Tensor {
  return { name, shape: [rows, 4], dtype: 'f32', storage: { offset: 0, buffer: { destroy: () => log.push(`destroy ${name}`) } } } as unknown as Tensor;
}
const pixels = (v: number) => `pixels ${v}`; // stands for pixelKey(…) of distinct pixel values

describe('image-feature cache', () => {
  it('hits for the same pixels only, and frees least recently used entries not in use past the budget', async () => {
    const log: string[] = [];
    const cache = createFeatureCache(2 * 16 * 4 * 4); // room for two [16, 4] f32 entries
    const encode = (name: string) => async () => (log.push(`encode ${name}`), tensor(16, log, name));
    const a = await cache.acquire(pixels(1), encode('a'));
    a.release();
    const again = await cache.acquire(pixels(1), encode('a2'));
    expect(again.hit).toBe(true);
    expect(again.features.name).toBe('a');
    again.release();
    (await cache.acquire(pixels(2), encode('b'))).release();
    const c = await cache.acquire(pixels(3), encode('c')); // over budget: a is the least recently used
    expect(log).toEqual(['encode a', 'encode b', 'encode c', 'destroy a']);
    const d = await cache.acquire(pixels(4), encode('d')); // b goes; c is in use and stays
    expect(log.slice(4)).toEqual(['encode d', 'destroy b']);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 4, entries: 2, bytes: 2 * 16 * 4 * 4 });
    c.release();
    d.release();
    cache.clear();
    expect(log.slice(6).sort()).toEqual(['destroy c', 'destroy d']);
    expect(cache.stats().entries).toBe(0);
  });

  it('does not cache a failed pass, and with 0 bytes computes and frees every time', async () => {
    const log: string[] = [];
    const cache = createFeatureCache(1 << 20);
    await expect(cache.acquire(pixels(1), async () => Promise.reject(new Error('device lost')))).rejects.toThrow('device lost');
    const ok = await cache.acquire(pixels(1), async () => tensor(2, log, 'x'));
    expect(ok.hit).toBe(false);
    ok.release();
    const off = createFeatureCache(0);
    const first = await off.acquire(pixels(1), async () => tensor(2, log, 'y'));
    first.release();
    expect((await off.acquire(pixels(1), async () => tensor(2, log, 'z'))).hit).toBe(false);
    expect(log).toEqual(['destroy y']);
  });
});

describe('pixelKey', () => {
  it('is the SHA-256 of the pixel bytes', async () => {
    const { pixelKey } = await import('../model/feature_cache.js');
    const { createHash } = await import('node:crypto');
    const px = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    expect(await pixelKey(px)).toBe(createHash('sha256').update(new Uint8Array(px.buffer)).digest('hex'));
    expect(await pixelKey(px.subarray(1))).not.toBe(await pixelKey(px));
  });
});
