// The block manager's prefix cache on the host: registered blocks are kept when released and found again by
// their keys, shared read-only (the sharer's tokens go into new blocks), reclaimed least recently released first
// when the pool runs out, bounded by maxCachedBlocks (0: off); and the key chain of a prompt (prefixHashes).
import { describe, expect, it } from 'vitest';
import { KvBlockManager } from '../model/kv_blocks.js';
import { prefixHashes } from '../model/scheduler.js';
import { IMG_CONTEXT } from '../tokenizer/special_tokens.js';

describe('KvBlockManager prefix cache', () => {
  it('keeps registered blocks after release, shares them, and gives the sharer new blocks for its own tokens', () => {
    const m = new KvBlockManager(8, 4);
    m.append(1, 10); // blocks for 3: [0, 1, 2]
    m.register(1, ['a', 'b', 'c']); // only the 2 full blocks are registered
    m.release(1);
    expect(m.usage()).toMatchObject({ usedBlocks: 0, freeBlocks: 8, cachedBlocks: 2 });
    expect(m.lookup(['a', 'b', 'x'])).toEqual([0, 1]);
    expect(m.lookup(['b'])).toEqual([1]); // keys are chains: a lookup always starts at block 0 of its own chain
    expect(m.lookup(['c'])).toEqual([]);
    const prefix = m.lookup(['a', 'b']);
    expect(m.keptAmong(prefix)).toBe(2);
    m.attachPrefix(2, prefix);
    expect(m.length(2)).toBe(8);
    const slots = m.append(2, 3);
    expect([...slots].every((slot) => slot >= 8 && Math.floor(slot / 4) !== 0 && Math.floor(slot / 4) !== 1)).toBe(true);
    m.attachPrefix(3, prefix); // shared by two
    expect(m.usage()).toMatchObject({ usedBlocks: 3, cachedBlocks: 0 });
    m.release(2);
    expect(m.usage()).toMatchObject({ usedBlocks: 2, cachedBlocks: 0 });
    m.release(3);
    expect(m.usage()).toMatchObject({ usedBlocks: 0, cachedBlocks: 2 });
  });

  it('reclaims kept blocks least recently released first, only when the free ones run out', () => {
    const m = new KvBlockManager(4, 2);
    m.append(1, 4);
    m.register(1, ['a1', 'a2']);
    m.release(1); // kept: a2's block, then a1's (released from the end)
    m.append(2, 4); // the two never-used blocks
    expect(m.lookup(['a1', 'a2']).length).toBe(2);
    m.append(2, 2); // the pool is out: the least recently released kept block (a2's) is taken
    expect(m.lookup(['a1', 'a2']).length).toBe(1);
    expect(m.canHold(new Map(), 1)).toBe(true); // a1's block is still available
    expect(m.canHold(new Map(), 2)).toBe(false);
    expect(() => m.append(3, 4)).toThrow(/needs 2 more blocks/);
  });

  it('keeps at most maxCachedBlocks, and none when 0', () => {
    const bounded = new KvBlockManager(8, 2, 1);
    bounded.append(1, 6);
    bounded.register(1, ['a', 'b', 'c']);
    bounded.release(1);
    expect(bounded.usage().cachedBlocks).toBe(1);
    const off = new KvBlockManager(8, 2, 0);
    off.append(1, 6);
    off.register(1, ['a', 'b', 'c']);
    off.release(1);
    expect(off.usage()).toMatchObject({ cachedBlocks: 0, freeBlocks: 8 });
    expect(off.lookup(['a'])).toEqual([]);
  });
});

describe('prefix keys', () => {
  const ids = Uint32Array.from([1, 2, 3, 4, IMG_CONTEXT, IMG_CONTEXT, 7, 8, 9]);
  it('one key per full block, each covering everything before it; images by their key', () => {
    const a = prefixHashes(ids, 2, IMG_CONTEXT, 'image A');
    expect(a.length).toBe(4);
    const b = prefixHashes(Uint32Array.from([1, 2, 3, 5, IMG_CONTEXT, IMG_CONTEXT, 7, 8]), 2, IMG_CONTEXT, 'image A');
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    expect(b[2]).not.toBe(a[2]); // a chain: a change early changes every later key
    const otherImage = prefixHashes(ids, 2, IMG_CONTEXT, 'image B');
    expect(otherImage.slice(0, 2)).toEqual(a.slice(0, 2)); // text before the image is shared
    expect(otherImage[2]).not.toBe(a[2]);
    expect(prefixHashes(ids, 2, IMG_CONTEXT, undefined)).toEqual(a.slice(0, 2)); // images of unknown content: not reusable
  });
});
