// Paged-cache fixtures for the decode attention tests and the GPU kernel check: block tables drawn from a shuffled
// pool, so a sequence's blocks are never contiguous and a kernel that ignores the table fails.
import type { rng } from './harness.js';

type Rng = ReturnType<typeof rng>;

/** 0 … n−1 in a seeded random order (Fisher–Yates). */
export function shuffled(n: number, r: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Block tables [B, maxBlocks] for sequences of `lens` tokens from a shuffled pool; unused entries are block 0. */
export function blockTables(lens: readonly number[], blockSize: number, maxBlocks: number, numBlocks: number, r: Rng): number[][] {
  const free = shuffled(numBlocks, r);
  return lens.map((len) => {
    const row = new Array<number>(maxBlocks).fill(0);
    for (let i = 0; i < Math.ceil(len / blockSize); i++) row[i] = free.pop()!;
    return row;
  });
}
