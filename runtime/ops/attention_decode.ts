import { attentionDecodeKernel } from '../../kernels/attention_decode.js';
import { attentionDecodeCombineKernel } from '../../kernels/attention_decode_combine.js';
import type { VariantOf } from '../device_profile.js';
import { DTYPE_BYTES } from '../dtype.js';
import { type Dispatch, type Graph, check, checkDtype } from '../graph.js';
import { attentionDecode as attentionDecodeRef } from '../reference/attention.js';
import type { Tensor } from '../tensor.js';
import { type AttentionInput, resolveView } from './attention.js';
import { type DecodeAppend, appendReference, lowerAppend } from './attention_decode_append.js';
import { COOP_KEYS_PER_SPLIT, COOP_WORKGROUP, cooperativeDispatch, cooperativeFits } from './attention_decode_coop.js';
import { type KvPool, poolShape } from './kv_cache.js';
import { valueOf } from './values.js';

export interface AttentionDecodeOptions {
  readonly heads: number;
  /** Optional cross-checks against the pool's shape [numBlocks, blockSize, kvHeads, headDim]. */
  readonly kvHeads?: number;
  readonly headDim?: number;
  readonly blockSize?: number;
  readonly scale: number;
  /** Longest context any sequence may have when this graph runs (≤ maxBlocks·blockSize); fixes the splits. */
  readonly maxContext: number;
  /** Split-K partitions of maxContext (1 = no split, no combine pass); default from keysPerSplit. */
  readonly splits?: number;
  /**
   * Force a kernel variant (tests, benchmarks); default from the device profile. 'heads_per_thread' (the whole
   * group per invocation, 128-key splits, 8 invocations per workgroup: K/V read once per group, measured on
   * lavapipe), 'head_per_thread' (1 head per invocation, 256-key splits, 64 invocations) or 'cooperative'
   * (runtime/ops/attention_decode_coop.ts: a workgroup per kv head and split, its invocations share the keys;
   * 64-key splits). 'cooperative' falls back to 'heads_per_thread' where its limits do not hold (group > 8, …).
   */
  readonly variant?: VariantOf<'attention_decode'>;
  /** Query heads of one KV group per invocation (register block, ≤ 8) of the per-thread variants. */
  readonly headsPerThread?: number;
  readonly workgroupSize?: number;
  /**
   * Fuse rope_append in front (runtime/ops/attention_decode_append.ts): q and append.k/v are then the new token's
   * unrotated projections, rotated at position seq_lens[b] − 1 in the kernel, and its key and value are written to
   * the pool row the block table gives that position, and attended to. The pools become outputs of the node.
   */
  readonly append?: DecodeAppend;
}

/**
 * Paged decode attention: one query row per sequence (q [B, ≥ Hq·Dh] view, after RoPE) against keys
 * 0..seq_lens[b]−1 of its cache, found through block_tables [B, maxBlocksPerSeq] u32; seq_lens [B] u32 (both
 * inputs the host rewrites each step, so the recorded graph replays unchanged). Returns [B, Hq·Dh] f32.
 * Split-K: maxContext is cut into `splits` chunks of whole blocks; each (seq, kv head, chunk) writes partial
 * (max, sum, acc) and attention_decode_combine merges them; chunks past a sequence's length exit at once.
 * With `append` it is rope_append (positions seq_lens − 1, slots from the block tables) followed by this op, in
 * the same dispatches: q is then before RoPE.
 */
/** COOP_WORKGROUP rounded up to whole key slices of Dh/4 columns (64 for Dh 64 and 128, 72 for Phi-3's 96). */
function coopWorkgroup(headDim: number): number {
  const columns = headDim / 4;
  return Number.isInteger(columns) ? Math.ceil(COOP_WORKGROUP / columns) * columns : COOP_WORKGROUP;
}

export function attentionDecode(g: Graph, q: AttentionInput, pool: KvPool, blockTables: Tensor, seqLens: Tensor, opts: AttentionDecodeOptions, name: string): Tensor {
  const op = 'attention_decode';
  const shape = poolShape(op, pool);
  const { blockSize, kvHeads, headDim, dtype } = shape;
  const kvF16 = dtype === 'f16';
  const kvBytes = DTYPE_BYTES[dtype];
  const { heads, scale, maxContext } = opts;
  check((opts.kvHeads ?? kvHeads) === kvHeads && (opts.headDim ?? headDim) === headDim && (opts.blockSize ?? blockSize) === blockSize, op, `options (kvHeads ${opts.kvHeads}, headDim ${opts.headDim}, blockSize ${opts.blockSize}) disagree with the pool`, pool.k);
  check(heads % kvHeads === 0, op, `heads ${heads} must be a multiple of the pool's kvHeads ${kvHeads}`, pool.k);
  check(headDim <= 128, op, `head dim ${headDim} must be ≤ 128`, pool.k);
  const qv = resolveView(op, 'q', q, heads * headDim);
  checkDtype(op, blockTables, ['u32']);
  checkDtype(op, seqLens, ['u32']);
  const numSeqs = qv.rows;
  check(blockTables.shape.length === 2 && blockTables.shape[0] === numSeqs, op, `block_tables must be [B, maxBlocks] with B = ${numSeqs} query rows`, blockTables, qv.tensor);
  check(seqLens.shape.length === 1 && seqLens.shape[0] === numSeqs, op, `seq_lens must be [B] with B = ${numSeqs}`, seqLens, qv.tensor);
  const maxBlocks = blockTables.shape[1]!;
  const app = lowerAppend(op, opts.append, qv, numSeqs, shape);
  check(maxContext >= 1 && maxContext <= maxBlocks * blockSize, op, `maxContext ${maxContext} must be 1..${maxBlocks * blockSize} (maxBlocks · blockSize)`, blockTables);

  const group = heads / kvHeads;
  const requested = opts.variant ?? g.profile.variants.attention_decode;
  const keysPerSplit = { heads_per_thread: 128, head_per_thread: 256, cooperative: COOP_KEYS_PER_SPLIT }[requested];
  const wantSplits = Math.max(1, opts.splits ?? Math.ceil(maxContext / keysPerSplit));
  const chunk = Math.ceil(Math.ceil(maxContext / wantSplits) / blockSize) * blockSize;
  const splits = Math.ceil(maxContext / chunk);
  const split = splits > 1;
  const coopShape = { numSeqs, heads, kvHeads, headDim, blockSize, maxBlocks, chunk, splits, workgroupSize: opts.workgroupSize ?? coopWorkgroup(headDim) };
  const variant = requested === 'cooperative' && !cooperativeFits(g.profile, coopShape) ? 'heads_per_thread' : requested;

  const out = g.tensor(name, [numSeqs, heads * headDim]);
  const partial = split ? g.tensor(`${name}.partial`, [numSeqs, heads, splits, headDim]) : out;
  const ml = g.tensor(`${name}.ml`, split ? [numSeqs, heads, splits, 2] : [2]); // unused placeholder when not split
  const dispatches: Dispatch[] = [];
  if (variant === 'cooperative') {
    dispatches.push(cooperativeDispatch(coopShape, { q: qv, k: pool.k, v: pool.v, kvF16, blockTables, seqLens, out: partial, ml, append: app }, scale));
  } else {
    const grouped = variant === 'heads_per_thread';
    const gb = Math.min(opts.headsPerThread ?? (grouped ? group : 1), group, 8);
    const groupBlocks = Math.ceil(group / gb);
    const wg = opts.workgroupSize ?? (grouped ? 8 : 64);
    const invocations = numSeqs * kvHeads * splits * groupBlocks;
    dispatches.push({
      kernel: attentionDecodeKernel,
      constants: { HEAD_DIM: headDim, GB: gb, WG: wg, SPLIT: split, APPEND: !!app.append, KV_F16: kvF16 },
      bindings: { q: qv.tensor, ...app.bindings, k_cache: pool.k, v_cache: pool.v, block_tables: blockTables, seq_lens: seqLens, out: partial, ml },
      params: { numSeqs, heads, kvHeads, group, groupBlocks, maxBlocks, blockSize, chunk, splits, qOffset: qv.offset, qStride: qv.stride, ...app.params, scale },
      grid: [Math.ceil(invocations / wg), 1, 1],
    });
  }
  if (split) {
    dispatches.push({
      kernel: attentionDecodeCombineKernel,
      constants: { HEAD_DIM: headDim, WG: 64 },
      bindings: { acc: partial, ml, seq_lens: seqLens, out },
      params: { numSeqs, heads, splits, chunk },
      grid: [Math.ceil((numSeqs * heads * headDim) / 4 / 64), 1, 1],
    });
  }
  g.add({
    op,
    name,
    inputs: [qv.tensor, ...app.inputs, pool.k, pool.v, blockTables, seqLens],
    // the appended rows: later readers of the pools are ordered after this node
    outputs: app.append ? [out, pool.k, pool.v] : [out],
    dispatches,
    // at maxContext for every sequence; the append adds rope_append's rotation (≈ 30 flops a pair) and k/v rows
    cost: {
      flops: 4 * numSeqs * heads * headDim * maxContext + (app.append ? 15 * numSeqs * (heads + kvHeads) * headDim : 0),
      bytes: numSeqs * (2 * maxContext * kvHeads * headDim * kvBytes + 8 * heads * headDim + (app.append ? 2 * kvHeads * headDim * (4 + kvBytes) : 0)),
    },
    reference: (env) => {
      const qRef = app.append
        ? appendReference(env, app.append, qv, pool, blockTables, seqLens, { rows: numSeqs, heads, kvHeads, headDim, blockSize, dtype })
        : { data: valueOf(env, qv.tensor), offset: qv.offset, stride: qv.stride };
      env.set(
        out.id,
        attentionDecodeRef(qRef, valueOf(env, pool.k), valueOf(env, pool.v), valueOf(env, blockTables), valueOf(env, seqLens), { numSeqs, heads, kvHeads, headDim, blockSize, maxBlocks, scale }),
      );
    },
  });
  return out;
}
