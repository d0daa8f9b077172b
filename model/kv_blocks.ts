// Host side of the paged KV cache: fixed-size blocks in one pool, a block table per sequence (vLLM's block
// manager, reduced to what one process needs). The GPU side (the K/V pools per layer and the kernels that read
// them through block tables) is in kv_cache.ts.
//
// Prefix caching: a full block of a prompt can be registered under a hash of everything up to its end (token ids
// and the images they show). When its sequences end, a registered block is kept, not freed; a later sequence whose
// prompt starts the same way takes such blocks into its table (shared, read-only: its own tokens go into new
// blocks) and prefills only the rest. Kept blocks are reused least recently released first when the pool runs out.

export interface BlockUsage {
  readonly blockSize: number;
  readonly totalBlocks: number;
  /** Blocks in some sequence's table. */
  readonly usedBlocks: number;
  /** Blocks nobody uses: never written, or given back. */
  readonly freeBlocks: number;
  /** Of those not in use, the registered prefix blocks kept for reuse (evicted first-released-first when needed). */
  readonly cachedBlocks: number;
  readonly sequences: number;
}

export class KvBlockManager {
  private readonly free: number[];
  private readonly tables = new Map<number, { blocks: number[]; length: number }>();
  /** Sequences holding each block. */
  private readonly refs: Int32Array;
  private readonly blockOfHash = new Map<string, number>();
  private readonly hashOfBlock = new Map<number, string>();
  /** Registered blocks nobody holds, least recently released first. */
  private readonly kept = new Set<number>();

  constructor(
    readonly numBlocks: number,
    readonly blockSize: number,
    /** Registered blocks kept at most when nobody holds them (0: prefix caching off). */
    readonly maxCachedBlocks = numBlocks,
  ) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new Error(`[kv cache] numBlocks must be a positive integer, got ${numBlocks}`);
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`[kv cache] blockSize must be a positive integer, got ${blockSize}`);
    // Hand out low block numbers first: easier to read in dumps, and it keeps a short run in one region.
    this.free = Array.from({ length: numBlocks }, (_, i) => numBlocks - 1 - i);
    this.refs = new Int32Array(numBlocks);
  }

  get capacityTokens(): number {
    return this.numBlocks * this.blockSize;
  }

  usage(): BlockUsage {
    const available = this.free.length + this.kept.size;
    return {
      blockSize: this.blockSize,
      totalBlocks: this.numBlocks,
      usedBlocks: this.numBlocks - available,
      freeBlocks: available,
      cachedBlocks: this.kept.size,
      sequences: this.tables.size,
    };
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

  /**
   * Can every sequence in `demands` (seq → total tokens) be held at once, plus `extraBlocks` more? Kept prefix
   * blocks count as available: they are taken back when needed.
   */
  canHold(demands: ReadonlyMap<number, number>, extraBlocks = 0): boolean {
    let need = extraBlocks;
    for (const [seq, tokens] of demands) need += this.blocksFor(tokens) - (this.tables.get(seq)?.blocks.length ?? 0);
    return need <= this.free.length + this.kept.size;
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
    if (need > this.free.length + this.kept.size) {
      throw new Error(
        `[kv cache] sequence ${seq} needs ${need} more blocks of ${this.blockSize} tokens for ${length + count} tokens, ` +
          `but only ${this.free.length + this.kept.size} of ${this.numBlocks} are free; create the model with a larger maxContext or end other sequences`,
      );
    }
    if (!entry) this.tables.set(seq, (entry = { blocks: [], length: 0 }));
    for (let i = 0; i < need; i++) entry.blocks.push(this.take());
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

  /** End a sequence: its blocks go back to the pool, registered ones to the kept set. */
  release(seq: number): void {
    const entry = this.tables.get(seq);
    if (!entry) return;
    for (let i = entry.blocks.length - 1; i >= 0; i--) {
      const b = entry.blocks[i]!;
      if (--this.refs[b]! > 0) continue;
      if (this.hashOfBlock.has(b) && this.maxCachedBlocks > 0) {
        this.kept.add(b);
        if (this.kept.size > this.maxCachedBlocks) this.forget(this.kept.values().next().value!);
      } else this.forgetAndFree(b);
    }
    this.tables.delete(seq);
  }

  /** The blocks registered under the longest run of `hashes` from the start (block i under hashes[i]). */
  lookup(hashes: readonly string[]): number[] {
    const blocks: number[] = [];
    for (const h of hashes) {
      const b = this.blockOfHash.get(h);
      if (b === undefined) break;
      blocks.push(b);
    }
    return blocks;
  }

  /** How many of `blocks` (from lookup) are kept, i.e. would stop being available once shared. */
  keptAmong(blocks: readonly number[]): number {
    return blocks.filter((b) => this.kept.has(b)).length;
  }

  /** Starts a new sequence with `blocks` (a looked-up prefix: full blocks) as its first entries. */
  attachPrefix(seq: number, blocks: readonly number[]): void {
    if (this.tables.has(seq)) throw new Error(`[kv cache] sequence ${seq} already exists`);
    for (const b of blocks) {
      this.kept.delete(b);
      this.refs[b]!++;
    }
    this.tables.set(seq, { blocks: [...blocks], length: blocks.length * this.blockSize });
  }

  /** Registers the sequence's first blocks under `hashes` (full prompt blocks whose keys and values are written). */
  register(seq: number, hashes: readonly string[]): void {
    if (this.maxCachedBlocks === 0) return;
    const { blocks, length } = this.table(seq);
    const full = Math.min(hashes.length, Math.floor(length / this.blockSize));
    for (let i = 0; i < full; i++) {
      const h = hashes[i]!;
      const b = blocks[i]!;
      if (this.blockOfHash.has(h) || this.hashOfBlock.has(b)) continue; // computed twice at once, or already shared
      this.blockOfHash.set(h, b);
      this.hashOfBlock.set(b, h);
    }
  }

  /** A block for a new entry: a never-used or freed one first, else the least recently released kept one. */
  private take(): number {
    let b = this.free.pop();
    if (b === undefined) {
      b = this.kept.values().next().value!;
      this.kept.delete(b);
      this.unregister(b);
    }
    this.refs[b] = 1;
    return b;
  }

  private forget(b: number): void {
    this.kept.delete(b);
    this.forgetAndFree(b);
  }

  private forgetAndFree(b: number): void {
    this.unregister(b);
    this.free.push(b);
  }

  private unregister(b: number): void {
    const h = this.hashOfBlock.get(b);
    if (h === undefined) return;
    this.hashOfBlock.delete(b);
    this.blockOfHash.delete(h);
  }

  private table(seq: number) {
    const entry = this.tables.get(seq);
    if (!entry) throw new Error(`[kv cache] unknown sequence ${seq}`);
    return entry;
  }
}
