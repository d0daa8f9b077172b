// Float64 references for attention and the paged KV cache.
// Shapes (row-major, f32-sized host arrays):
//   views        q/k/v are column windows of bigger [rows, stride] matrices: element (row, c) of a view is
//                data[row·stride + offset + c], with c = head·Dh + d.
//   attention    q [S·T, Hq·Dh], k/v [S·T, Hkv·Dh] (S independent sequences of T tokens back to back) → [S·T, Hq·Dh]
//   kvAppend     pool [numBlocks·blockSize, Hkv·Dh]; src [T, Hkv·Dh]; slots [T] → pool with row slots[t] = src[t]
//   decode       q [B, Hq·Dh]; pools as above; blockTables [B, maxBlocks]; seqLens [B] → [B, Hq·Dh]
// Query head h reads KV head ⌊h / (Hq/Hkv)⌋ (GQA, repeat_kv). Softmax over keys in float64.

export interface RefView {
  readonly data: ArrayLike<number>;
  /** Column offset of the view inside a row, in elements. */
  readonly offset: number;
  /** Row stride of the underlying matrix, in elements. */
  readonly stride: number;
}

export interface RefAttentionParams {
  readonly numSeqs: number;
  readonly seqLen: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly scale: number;
}

const at = (v: RefView, row: number, col: number) => v.data[row * v.stride + v.offset + col]!;

/** softmax(scale · q·kᵀ [+ causal mask]) · v per head, per sequence; sequences never see each other. */
export function attention(q: RefView, k: RefView, v: RefView, p: RefAttentionParams): Float64Array {
  const { numSeqs, seqLen, heads, kvHeads, headDim: dh, causal, scale } = p;
  const group = heads / kvHeads;
  const out = new Float64Array(numSeqs * seqLen * heads * dh);
  const s = new Float64Array(seqLen);
  for (let n = 0; n < numSeqs; n++) {
    const base = n * seqLen;
    for (let h = 0; h < heads; h++) {
      const hk = Math.floor(h / group);
      for (let i = 0; i < seqLen; i++) {
        const end = causal ? i + 1 : seqLen;
        let max = -Infinity;
        for (let j = 0; j < end; j++) {
          let dot = 0;
          for (let d = 0; d < dh; d++) dot += at(q, base + i, h * dh + d) * at(k, base + j, hk * dh + d);
          s[j] = dot * scale;
          if (dot * scale > max) max = dot * scale;
        }
        let sum = 0;
        for (let j = 0; j < end; j++) sum += s[j] = Math.exp(s[j]! - max);
        const o = (base + i) * heads * dh + h * dh;
        for (let j = 0; j < end; j++) {
          const pj = s[j]! / sum;
          for (let d = 0; d < dh; d++) out[o + d]! += pj * at(v, base + j, hk * dh + d);
        }
      }
    }
  }
  return out;
}

/**
 * pool row slots[t] ← src row t (rows of rowSize = Hkv·Dh elements), each value as the pool stores it (`stored`:
 * e.g. rounding to f16; default exact); returns a new pool array.
 */
export function kvAppend(pool: ArrayLike<number>, src: RefView, slots: ArrayLike<number>, rowSize: number, stored: (x: number) => number = (x) => x): Float64Array {
  const out = Float64Array.from(pool);
  for (let t = 0; t < slots.length; t++) {
    const slot = slots[t]!;
    for (let c = 0; c < rowSize; c++) out[slot * rowSize + c] = stored(at(src, t, c));
  }
  return out;
}

export interface RefDecodeParams {
  readonly numSeqs: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly blockSize: number;
  readonly maxBlocks: number;
  readonly scale: number;
}

/** One query row per sequence against its cached keys 0..seqLens[b]−1, found through its block table. */
export function attentionDecode(
  q: RefView,
  kPool: ArrayLike<number>,
  vPool: ArrayLike<number>,
  blockTables: ArrayLike<number>,
  seqLens: ArrayLike<number>,
  p: RefDecodeParams,
): Float64Array {
  const { numSeqs, heads, kvHeads, headDim: dh, blockSize, maxBlocks, scale } = p;
  const group = heads / kvHeads;
  const out = new Float64Array(numSeqs * heads * dh);
  for (let b = 0; b < numSeqs; b++) {
    const len = seqLens[b]!;
    const rowOf = (j: number) => blockTables[b * maxBlocks + Math.floor(j / blockSize)]! * blockSize + (j % blockSize);
    const s = new Float64Array(len);
    for (let h = 0; h < heads; h++) {
      const hk = Math.floor(h / group);
      let max = -Infinity;
      for (let j = 0; j < len; j++) {
        const kb = (rowOf(j) * kvHeads + hk) * dh;
        let dot = 0;
        for (let d = 0; d < dh; d++) dot += at(q, b, h * dh + d) * kPool[kb + d]!;
        s[j] = dot * scale;
        if (dot * scale > max) max = dot * scale;
      }
      let sum = 0;
      for (let j = 0; j < len; j++) sum += s[j] = Math.exp(s[j]! - max);
      const o = (b * heads + h) * dh;
      for (let j = 0; j < len; j++) {
        const vb = (rowOf(j) * kvHeads + hk) * dh;
        const pj = s[j]! / sum;
        for (let d = 0; d < dh; d++) out[o + d]! += pj * vPool[vb + d]!;
      }
    }
  }
  return out;
}
