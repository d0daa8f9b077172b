// The image-feature cache: vision features kept on the GPU, keyed by the SHA-256 of the pixel values (which are a
// function of the image bytes and the tiling settings), so that a follow-up turn about the same image, or another
// user's request with it, skips the ViT. Least recently used entries go once the budget is exceeded; an entry in
// use by a prefill is never freed under it. Browser-safe.
import { sha256Hex } from '../loader/sha256.js';
import type { Tensor } from '../runtime/tensor.js';

export interface FeatureCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
}

interface Entry {
  readonly features: Promise<Tensor>;
  /** The tensor once the pass has finished. */
  ready?: Tensor;
  bytes: number;
  users: number;
}

/** SHA-256 of pixel values (Web Crypto where present, else our own): the key of their features and prefix blocks. */
export async function pixelKey(pixels: Float32Array): Promise<string> {
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) return sha256Hex(bytes);
  return Array.from(new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface FeatureCache {
  /** The features for the pixels `key` names (pixelKey), computed by `encode` on a miss; release() when used. */
  acquire(key: string, encode: () => Promise<Tensor>): Promise<{ features: Tensor; hit: boolean; release(): void }>;
  stats(): FeatureCacheStats;
  /** Frees every entry not in use. */
  clear(): void;
}

const destroy = (t: Tensor) => t.storage?.buffer.destroy();
const free = (e: Entry) => (e.ready ? destroy(e.ready) : void e.features.then(destroy, () => {}));

export function createFeatureCache(maxBytes: number): FeatureCache {
  const entries = new Map<string, Entry>(); // insertion order = recency
  let hits = 0;
  let misses = 0;
  let bytes = 0;

  function evict(): void {
    for (const [key, e] of entries) {
      if (bytes <= maxBytes) break;
      if (e.users > 0) continue;
      entries.delete(key);
      bytes -= e.bytes;
      free(e);
    }
  }

  return {
    async acquire(key, encode) {
      if (maxBytes <= 0) {
        misses++;
        const features = await encode();
        return { features, hit: false, release: () => destroy(features) };
      }
      let entry = entries.get(key);
      const hit = entry !== undefined;
      if (entry) {
        hits++;
        entries.delete(key);
        entries.set(key, entry);
      } else {
        misses++;
        entry = { features: encode(), bytes: 0, users: 0 };
        entries.set(key, entry);
        const added = entry;
        added.features.then(
          (t) => ((added.ready = t), (added.bytes = t.shape.reduce((a, b) => a * b, 4)), (bytes += added.bytes), evict()),
          () => entries.get(key) === added && entries.delete(key), // a failed pass is not cached
        );
      }
      entry.users++;
      const held = entry;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        held.users--;
        evict();
      };
      try {
        return { features: await entry.features, hit, release };
      } catch (e) {
        release();
        throw e;
      }
    },
    stats: () => ({ hits, misses, entries: entries.size, bytes, maxBytes }),
    clear() {
      for (const [key, e] of entries) {
        if (e.users > 0) continue;
        entries.delete(key);
        bytes -= e.bytes;
        free(e);
      }
    },
  };
}
