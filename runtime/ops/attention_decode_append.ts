// attention_decode's fused rope_append (APPEND in kernels/attention_decode.wgsl and attention_decode_coop.wgsl):
// the new token's q, k, v arrive unrotated; the kernels rotate q and k (Qwen2 half-split RoPE at position
// seq_lens[b] − 1), attend to the new key from registers, and write it and v to its pool row. This file checks and
// binds those inputs (dummies when the fusion is off) and gives the float64 reference of the front half.
import { type Binding, type ReferenceEnv, check, checkDtype } from '../graph.js';
import { type RefView, kvAppend as kvAppendRef } from '../reference/attention.js';
import { rope as ropeRef } from '../reference/elementwise.js';
import type { Tensor } from '../tensor.js';
import { type AttentionInput, type AttentionView, resolveView } from './attention.js';
import { type KvDtype, type KvPool, type KvPoolShape, storedAs } from './kv_cache.js';
import { valueOf } from './values.js';

/**
 * The decode step's new token, fused into attention_decode: its key and value [B, ≥ Hkv·Dh] f32 views before RoPE
 * (the k and v columns of the qkv projection) and HF's float32 inv_freq [Dh/2]. Its position is seq_lens[b] − 1 and
 * its pool row that position's slot in the block table (what the host's slotsFor gives for the appended token).
 * LongRoPE (Phi-3): inv_freq [2, Dh/2] holds the short and the long table, and a token at a position ≥ `longFrom`
 * rotates with the long one — per sequence, as upstream's forward of that sequence alone would.
 */
export interface DecodeAppend {
  readonly k: AttentionInput;
  readonly v: AttentionInput;
  readonly invFreq: Tensor;
  readonly longFrom?: number;
}

/** longFrom when a sequence never switches tables. */
const NO_SWITCH = 0xffffffff;

export interface AppendLowering {
  /** The resolved views and inv_freq; undefined when the fusion is off. */
  readonly append?: { readonly k: AttentionView; readonly v: AttentionView; readonly invFreq: Tensor; readonly longFrom: number };
  /** The node's extra inputs. */
  readonly inputs: readonly Tensor[];
  readonly bindings: { readonly k_new: Binding; readonly v_new: Binding; readonly inv_freq: Binding };
  readonly params: { readonly kOffset: number; readonly kStride: number; readonly vOffset: number; readonly vStride: number; readonly zero: number; readonly longFrom: number };
}

/** Checks the append inputs against q's rows and the pool; without them binds q to the unused slots. */
export function lowerAppend(op: string, append: DecodeAppend | undefined, q: AttentionView, rows: number, pool: KvPoolShape): AppendLowering {
  if (!append) {
    return { inputs: [], bindings: { k_new: q.tensor, v_new: q.tensor, inv_freq: q.tensor }, params: { kOffset: 0, kStride: 0, vOffset: 0, vStride: 0, zero: 0, longFrom: NO_SWITCH } };
  }
  const { kvHeads, headDim } = pool;
  const { invFreq } = append;
  check(headDim % 8 === 0, op, `append needs a head dim that is a multiple of 8 (vec4 rotation pairs), got ${headDim}`);
  const tables = invFreq.shape.length === 2 ? invFreq.shape[0]! : 1;
  check(invFreq.shape.at(-1)! * 2 === headDim && (tables === 1 || tables === 2) && invFreq.shape.length <= 2, op, `invFreq must be [Dh/2] or [2, Dh/2] (short, long) with Dh = ${headDim} (the pool's head dim)`, invFreq);
  check((tables === 2) === (append.longFrom !== undefined), op, 'two inv_freq tables go with longFrom, one without', invFreq);
  const longFrom = append.longFrom ?? NO_SWITCH;
  check(Number.isInteger(longFrom) && longFrom >= 0 && longFrom <= NO_SWITCH, op, `longFrom must be a u32 position, got ${longFrom}`);
  checkDtype(op, invFreq, ['f32']);
  const k = resolveView(op, 'append.k', append.k, kvHeads * headDim);
  const v = resolveView(op, 'append.v', append.v, kvHeads * headDim);
  check(k.rows === rows && v.rows === rows, op, `append k and v must have the ${rows} rows of q (got ${k.rows}, ${v.rows})`, k.tensor, v.tensor);
  return {
    append: { k, v, invFreq, longFrom },
    inputs: [k.tensor, v.tensor, invFreq],
    bindings: { k_new: k.tensor, v_new: v.tensor, inv_freq: invFreq },
    params: { kOffset: k.offset, kStride: k.stride, vOffset: v.offset, vStride: v.stride, zero: 0, longFrom },
  };
}

function rows64(env: ReferenceEnv, view: AttentionView, rows: number, width: number): Float64Array {
  const data = valueOf(env, view.tensor);
  const out = new Float64Array(rows * width);
  for (let t = 0; t < rows; t++) for (let c = 0; c < width; c++) out[t * width + c] = data[t * view.stride + view.offset + c]!;
  return out;
}

/**
 * Reference of the fused front: rope_append at positions seq_lens − 1 into the slots the block tables give them
 * (runtime/reference rope + kvAppend). Sets the pools in env; returns the rotated q for the attention reference.
 */
export function appendReference(
  env: ReferenceEnv,
  append: NonNullable<AppendLowering['append']>,
  q: AttentionView,
  pool: KvPool,
  blockTables: Tensor,
  seqLens: Tensor,
  s: { readonly rows: number; readonly heads: number; readonly kvHeads: number; readonly headDim: number; readonly blockSize: number; readonly dtype: KvDtype },
): RefView {
  const lens = valueOf(env, seqLens), tables = valueOf(env, blockTables), f = valueOf(env, append.invFreq);
  const maxBlocks = blockTables.shape[1]!;
  const pos = lens.map((len) => len - 1);
  const slots = pos.map((p, b) => tables[b * maxBlocks + Math.floor(p / s.blockSize)]! * s.blockSize + (p % s.blockSize));
  const kvRow = s.kvHeads * s.headDim;
  // each row rotated with its own table (the long one past longFrom), one row at a time
  const half = s.headDim / 2;
  const rotate = (x: Float64Array, width: number, heads: number) => {
    const out = new Float64Array(x.length);
    pos.forEach((p, b) => {
      const table = p >= append.longFrom ? f.subarray(half, 2 * half) : f.subarray(0, half);
      out.set(ropeRef(x.subarray(b * width, (b + 1) * width), [p], table, 1, heads), b * width);
    });
    return out;
  };
  const qRot = rotate(rows64(env, q, s.rows, s.heads * s.headDim), s.heads * s.headDim, s.heads);
  const kRot = rotate(rows64(env, append.k, s.rows, kvRow), kvRow, s.kvHeads);
  const stored = storedAs(s.dtype);
  env.set(pool.k.id, kvAppendRef(valueOf(env, pool.k), { data: kRot, offset: 0, stride: kvRow }, slots, kvRow, stored));
  env.set(pool.v.id, kvAppendRef(valueOf(env, pool.v), { data: rows64(env, append.v, s.rows, kvRow), offset: 0, stride: kvRow }, slots, kvRow, stored));
  return { data: qRot, offset: 0, stride: s.heads * s.headDim };
}
