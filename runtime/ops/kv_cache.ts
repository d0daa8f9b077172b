// Paged KV cache, per layer: pools K and V [numBlocks, blockSize, Hkv, Dh] of f32 or f16 (tensors of kind 'state',
// written in place by kv_append / rope_append / the fused decode attention, read by attention_decode). An f16 pool
// stores keys (after RoPE) and values rounded to nearest even and is read back as stored everywhere
// (kernels/include/kv_pool.wgsl), so results never depend on how a prompt was split. A sequence owns a list of
// blocks (its block table, kept on the host); token position p of the sequence lives in slot
// blockTable[⌊p / blockSize⌋]·blockSize + p mod blockSize.
import { kvAppendKernel } from '../../kernels/kv_append.js';
import { DTYPE_BYTES, roundToF16 } from '../dtype.js';
import type { Gpu } from '../device.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { kvAppend as kvAppendRef } from '../reference/attention.js';
import type { Tensor } from '../tensor.js';
import { createTensor } from '../upload.js';
import { type AttentionInput, resolveView } from './attention.js';
import { valueOf } from './values.js';

/** One layer's K and V pools, both [numBlocks, blockSize, Hkv, Dh], both f32 or both f16. */
export interface KvPool {
  readonly k: Tensor;
  readonly v: Tensor;
}

export interface KvPoolShape {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** How the pools store keys and values. */
export type KvDtype = 'f32' | 'f16';

/** Allocates one layer's pools on the device (contents undefined until written). */
export function createKvPool(gpu: Gpu, name: string, s: KvPoolShape, dtype: KvDtype = 'f32'): KvPool {
  const shape = [s.numBlocks, s.blockSize, s.kvHeads, s.headDim];
  return { k: createTensor(gpu, `${name}.k`, shape, dtype, 'state'), v: createTensor(gpu, `${name}.v`, shape, dtype, 'state') };
}

/** numBlocks, blockSize, kvHeads, headDim and dtype of a pool; throws naming the op when K and V disagree. */
export function poolShape(op: string, pool: KvPool): KvPoolShape & { readonly dtype: KvDtype } {
  const { k, v } = pool;
  check(k.shape.length === 4 && v.shape.length === 4 && k.shape.every((d, i) => d === v.shape[i]), op, 'pools must be K, V [numBlocks, blockSize, Hkv, Dh] of one shape', k, v);
  checkDtype(op, k, ['f32', 'f16']);
  check(v.dtype === k.dtype, op, `K and V pools must have one dtype (got ${k.dtype}, ${v.dtype})`, k, v);
  const dtype = k.dtype as KvDtype;
  const [numBlocks, blockSize, kvHeads, headDim] = k.shape as [number, number, number, number];
  check(headDim % (dtype === 'f16' ? 8 : 4) === 0, op, `head dim ${headDim} must be a multiple of ${dtype === 'f16' ? '8 (f16 pools: two vec4 columns per word)' : 4}`, k);
  return { numBlocks, blockSize, kvHeads, headDim, dtype };
}

/** The value a pool of this dtype keeps for x (the references' rounding of appended keys and values). */
export function storedAs(dtype: KvDtype): (x: number) => number {
  return dtype === 'f16' ? roundToF16 : (x) => x;
}

/** Slots of positions start..start+count−1 of a sequence with this block table (host side, for kv_append). */
export function slotsFor(blockTable: ArrayLike<number>, blockSize: number, start: number, count: number): Uint32Array {
  const slots = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const p = start + i;
    const block = blockTable[Math.floor(p / blockSize)];
    if (block === undefined) throw new Error(`[kv_cache] position ${p} is past the block table (${blockTable.length} blocks of ${blockSize})`);
    slots[i] = block * blockSize + (p % blockSize);
  }
  return slots;
}

/**
 * Writes T new rows of k and v (after RoPE; [T, ≥ Hkv·Dh] views) into rows `slots` of the pools pool.k/pool.v (u32 [T], an input the
 * host fills each step). The pools are updated in place; they are this node's outputs so the graph orders
 * later readers after it.
 */
export function kvAppend(g: Graph, pool: KvPool, k: AttentionInput, v: AttentionInput, slots: Tensor, name: string): void {
  const { kvHeads, headDim, dtype } = poolShape('kv_append', pool);
  const rowSize = kvHeads * headDim;
  const kv = resolveView('kv_append', 'k', k, rowSize);
  const vv = resolveView('kv_append', 'v', v, rowSize);
  checkDtype('kv_append', slots, ['u32']);
  const rows = slots.shape[0] ?? 0;
  check(slots.shape.length === 1 && kv.rows === rows && vv.rows === rows, 'kv_append', `slots [T] must match the rows of k (${kv.rows}) and v (${vv.rows})`, slots, kv.tensor, vv.tensor);
  const wg = 64;
  g.add({
    op: 'kv_append',
    name,
    inputs: [kv.tensor, vv.tensor, slots],
    outputs: [pool.k, pool.v],
    dispatches: [
      {
        kernel: kvAppendKernel,
        constants: { WG: wg, KV_F16: dtype === 'f16' },
        bindings: { k: kv.tensor, v: vv.tensor, slots, k_cache: pool.k, v_cache: pool.v },
        params: { rows, rowSize, kOffset: kv.offset, kStride: kv.stride, vOffset: vv.offset, vStride: vv.stride },
        grid: [Math.ceil((rows * rowSize) / (dtype === 'f16' ? 8 : 4) / wg), 1, 1],
      },
    ],
    cost: { flops: 0, bytes: 2 * rows * rowSize * (4 + DTYPE_BYTES[dtype]) + 4 * rows },
    reference: (env) => {
      const s = valueOf(env, slots);
      const stored = storedAs(dtype);
      env.set(pool.k.id, kvAppendRef(valueOf(env, pool.k), { data: valueOf(env, kv.tensor), offset: kv.offset, stride: kv.stride }, s, rowSize, stored));
      env.set(pool.v.id, kvAppendRef(valueOf(env, pool.v), { data: valueOf(env, vv.tensor), offset: vv.offset, stride: vv.stride }, s, rowSize, stored));
    },
  });
}
