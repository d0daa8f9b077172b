import { ropeAppendKernel } from '../../kernels/rope_append.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { kvAppend as kvAppendRef } from '../reference/attention.js';
import { rope as ropeRef } from '../reference/elementwise.js';
import type { Tensor } from '../tensor.js';
import { type AttentionInput, type AttentionView, resolveView } from './attention.js';
import { type KvPool, poolShape, storedAs } from './kv_cache.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/rope_append.wgsl default

export interface RopeAppendOptions {
  /** Query heads Hq (q is a [T, ≥ Hq·Dh] view). */
  readonly heads: number;
  /**
   * Also return the rotated k [T, Hkv·Dh] (prefill attends over the prompt's own keys) as the pool holds it; with an
   * f16 pool the values too, rounded like the pool's, so prefill attends to exactly what later steps read back. They
   * are one tensor `${name}.kv` [T, Hkv·Dh] (f32 pool: k) or [T, 2·Hkv·Dh] (f16: k then v), returned as views.
   */
  readonly writeK?: boolean;
}

/**
 * Qwen2 half-split RoPE on q and k, and the paged KV-cache append of the rotated k and of v, in one dispatch:
 * rope() followed by kvAppend(), bit for bit (f32 or f16 pools). q [T, ≥ Hq·Dh], k, v [T, ≥ Hkv·Dh] f32 views (before RoPE) at
 * positions [T] u32, invFreq [Dh/2] f32 (HF's float32 inv_freq), slots [T] u32 (pool rows, see kv_cache.ts).
 * Returns the rotated q `${name}.q` [T, Hq·Dh] (and views of k, and v for an f16 pool, with `writeK`); the pools are updated in place
 * and are this node's outputs so later readers are ordered after it.
 */
export function ropeAppend(
  g: Graph,
  q: AttentionInput,
  k: AttentionInput,
  v: AttentionInput,
  positions: Tensor,
  invFreq: Tensor,
  pool: KvPool,
  slots: Tensor,
  opts: RopeAppendOptions,
  name: string,
): { q: Tensor; k?: AttentionView; v?: AttentionView } {
  const op = 'rope_append';
  const { kvHeads, headDim, dtype } = poolShape(op, pool);
  const { heads } = opts;
  const half = invFreq.shape[0] ?? 0;
  check(invFreq.shape.length === 1 && 2 * half === headDim, op, `invFreq must be [Dh/2] with Dh = ${headDim} (the pool's head dim)`, invFreq, pool.k);
  checkDtype(op, invFreq, ['f32']);
  checkDtype(op, positions, ['u32']);
  checkDtype(op, slots, ['u32']);
  check(Number.isInteger(heads) && heads > 0, op, `heads ${heads} must be a positive integer`);
  const qv = resolveView(op, 'q', q, heads * headDim);
  const kv = resolveView(op, 'k', k, kvHeads * headDim);
  const vv = resolveView(op, 'v', v, kvHeads * headDim);
  const rows = qv.rows;
  check(kv.rows === rows && vv.rows === rows, op, `q, k, v must have the same rows (${qv.rows}, ${kv.rows}, ${vv.rows})`, qv.tensor, kv.tensor, vv.tensor);
  check(positions.shape.length === 1 && positions.shape[0] === rows, op, `positions must be [T] with T = ${rows}`, positions);
  check(slots.shape.length === 1 && slots.shape[0] === rows, op, `slots must be [T] with T = ${rows}`, slots);
  const qr = g.tensor(`${name}.q`, [rows, heads * headDim]);
  const f16 = dtype === 'f16';
  const kvRow = kvHeads * headDim;
  const outRow = f16 ? 2 * kvRow : kvRow;
  const kvr = opts.writeK ? g.tensor(`${name}.kv`, [rows, outRow]) : undefined;
  // Without writeK the kv_out slot still needs a writable binding of its own (binding q_out twice does not work on
  // every driver): a one-element dummy that is never written.
  const kvOut = kvr ?? g.tensor(`${name}.kv_unused`, [1]);
  const kr = kvr && { tensor: kvr, offset: 0, stride: outRow };
  const vr = kvr && f16 ? { tensor: kvr, offset: kvRow, stride: outRow } : undefined;
  const threads = (rows * (heads + 2 * kvHeads) * half) / 2;
  g.add({
    op,
    name,
    inputs: [qv.tensor, kv.tensor, vv.tensor, positions, invFreq, slots],
    outputs: [qr, kvOut, pool.k, pool.v],
    dispatches:
      threads > 0
        ? [
            {
              kernel: ropeAppendKernel,
              constants: { WRITE_K: !!kr, KV_F16: f16 },
              bindings: { q: qv.tensor, k: kv.tensor, v: vv.tensor, pos: positions, inv_freq: invFreq, slots, q_out: qr, kv_out: kvOut, k_cache: pool.k, v_cache: pool.v },
              params: { rows, qHeads: heads, kvHeads, half, zero: 0, qOffset: qv.offset, qStride: qv.stride, kOffset: kv.offset, kStride: kv.stride, vOffset: vv.offset, vStride: vv.stride },
              grid: [Math.ceil(threads / WG), 1, 1],
            },
          ]
        : [],
    cost: {
      flops: 30 * rows * (heads + kvHeads) * half,
      bytes: 4 * (rows * (2 * heads + 2 * kvHeads + (kr ? kvHeads : 0) + (vr ? kvHeads : 0)) * headDim + 2 * rows + half) + 2 * rows * kvHeads * headDim * (f16 ? 2 : 4),
    },
    reference: (env) => {
      const pos = valueOf(env, positions), f = valueOf(env, invFreq), s = valueOf(env, slots);
      const rows64 = (view: AttentionView, width: number) => {
        const data = valueOf(env, view.tensor);
        const out = new Float64Array(rows * width);
        for (let t = 0; t < rows; t++) for (let c = 0; c < width; c++) out[t * width + c] = data[t * view.stride + view.offset + c]!;
        return out;
      };
      env.set(qr.id, ropeRef(rows64(qv, heads * headDim), pos, f, rows, heads));
      const stored = storedAs(dtype);
      const krot = ropeRef(rows64(kv, kvRow), pos, f, rows, kvHeads);
      if (kvr) {
        const out = new Float64Array(rows * outRow);
        const vrows = rows64(vv, kvRow);
        for (let t = 0; t < rows; t++) {
          for (let c = 0; c < kvRow; c++) {
            out[t * outRow + c] = stored(krot[t * kvRow + c]!);
            if (f16) out[t * outRow + kvRow + c] = stored(vrows[t * kvRow + c]!);
          }
        }
        env.set(kvr.id, out);
      }
      env.set(pool.k.id, kvAppendRef(valueOf(env, pool.k), { data: krot, offset: 0, stride: kvRow }, s, kvRow, stored));
      env.set(pool.v.id, kvAppendRef(valueOf(env, pool.v), { data: valueOf(env, vv.tensor), offset: vv.offset, stride: vv.stride }, s, kvRow, stored));
    },
  });
  return { q: qr, ...(kr && { k: kr }), ...(vr && { v: vr }) };
}
