// Host side of the paged KV cache: fixed-size blocks in one pool, a block table per sequence, blocks returned
// to the free list when a sequence ends (vLLM's block manager, reduced to what one process needs).
// The GPU side (the K/V pools per layer and the kernels that read them through block tables) is in kv_cache.ts.

export interface BlockUsage {
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly usedBlocks: number;
  readonly freeBlocks: number;
  readonly sequences: number;
}

export class KvBlockManager {
  private readonly free: number[];
  private readonly tables = new Map<number, { blocks: number[]; length: number }>();

  constructor(readonly numBlocks: number, readonly blockSize: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new Error(`[kv cache] numBlocks must be a positive integer, got ${numBlocks}`);
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`[kv cache] blockSize must be a positive integer, got ${blockSize}`);
    // Hand out low block numbers first: easier to read in dumps, and it keeps a short run in one region.
    this.free = Array.from({ length: numBlocks }, (_, i) => numBlocks - 1 - i);
  }

  get capacityTokens(): number {
    return this.numBlocks * this.blockSize;
  }

  usage(): BlockUsage {
    const freeBlocks = this.free.length;
    return { blockSize: this.blockSize, totalBlocks: this.numBlocks, usedBlocks: this.numBlocks - freeBlocks, freeBlocks, sequences: this.tables.size };
  }

  has(seq: number): boolean {
    return this.tables.has(seq);
  }

  length(seq: number): number {
    return this.table(seq).length;
  }

  /** Blocks a sequence would need to grow to `tokens` tokens. */
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /** Can every sequence in `demands` (seq → total tokens) be held at once? */
  canHold(demands: ReadonlyMap<number, number>): boolean {
    let need = 0;
    for (const [seq, tokens] of demands) need += this.blocksFor(tokens) - (this.tables.get(seq)?.blocks.length ?? 0);
    return need <= this.free.length;
  }

  /**
   * Reserve room for `count` more tokens of `seq` and return their slots (block · blockSize + offset), in order.
   * Throws without changing anything when the pool cannot hold them.
   */
  append(seq: number, count: number): Uint32Array {
    let entry = this.tables.get(seq);
    const length = entry?.length ?? 0;
    const have = entry?.blocks.length ?? 0;
    const need = this.blocksFor(length + count) - have;
    if (need > this.free.length) {
      throw new Error(
        `[kv cache] sequence ${seq} needs ${need} more blocks of ${this.blockSize} tokens for ${length + count} tokens, ` +
          `but only ${this.free.length} of ${this.numBlocks} are free; create the model with a larger maxContext or end other sequences`,
      );
    }
    if (!entry) this.tables.set(seq, (entry = { blocks: [], length: 0 }));
    for (let i = 0; i < need; i++) entry.blocks.push(this.free.pop()!);
    const slots = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const pos = length + i;
      slots[i] = entry.blocks[Math.floor(pos / this.blockSize)]! * this.blockSize + (pos % this.blockSize);
    }
    entry.length += count;
    return slots;
  }

  /** The sequence's block numbers, padded with 0 to `width` entries (the GPU table row). */
  blockTable(seq: number, width: number): Uint32Array {
    const blocks = this.table(seq).blocks;
    if (blocks.length > width) throw new Error(`[kv cache] sequence ${seq} has ${blocks.length} blocks, table width is ${width}`);
    const row = new Uint32Array(width);
    row.set(blocks);
    return row;
  }

  /** End a sequence: its blocks go back to the pool. */
  release(seq: number): void {
    const entry = this.tables.get(seq);
    if (!entry) return;
    for (let i = entry.blocks.length - 1; i >= 0; i--) this.free.push(entry.blocks[i]!);
    this.tables.delete(seq);
  }

  private table(seq: number) {
    const entry = this.tables.get(seq);
    if (!entry) throw new Error(`[kv cache] unknown sequence ${seq}`);
    return entry;
  }
}
