// Paged KV cache, per layer: pools K and V [numBlocks, blockSize, Hkv, Dh] f32 (tensors of kind 'state', written
// in place by kv_append, read by attention_decode). A sequence owns a list of blocks (its block table, kept on the
// host); token position p of the sequence lives in slot blockTable[⌊p / blockSize⌋]·blockSize + p mod blockSize.
import { kvAppendKernel } from '../../kernels/kv_append.js';
import type { Gpu } from '../device.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { kvAppend as kvAppendRef } from '../reference/attention.js';
import type { Tensor } from '../tensor.js';
import { createTensor } from '../upload.js';
import { type AttentionInput, resolveView } from './attention.js';
import { valueOf } from './values.js';

/** One layer's K and V pools, both [numBlocks, blockSize, Hkv, Dh] f32. */
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

/** Allocates one layer's pools on the device (contents undefined until written). */
export function createKvPool(gpu: Gpu, name: string, s: KvPoolShape): KvPool {
  const shape = [s.numBlocks, s.blockSize, s.kvHeads, s.headDim];
  return { k: createTensor(gpu, `${name}.k`, shape, 'f32', 'state'), v: createTensor(gpu, `${name}.v`, shape, 'f32', 'state') };
}

/** numBlocks, blockSize, kvHeads, headDim of a pool; throws naming the op when K and V disagree. */
export function poolShape(op: string, pool: KvPool): KvPoolShape {
  const { k, v } = pool;
  check(k.shape.length === 4 && v.shape.length === 4 && k.shape.every((d, i) => d === v.shape[i]), op, 'pools must be K, V [numBlocks, blockSize, Hkv, Dh] of one shape', k, v);
  checkDtype(op, k, ['f32']);
  checkDtype(op, v, ['f32']);
  const [numBlocks, blockSize, kvHeads, headDim] = k.shape as [number, number, number, number];
  check(headDim % 4 === 0, op, `head dim ${headDim} must be a multiple of 4`, k);
  return { numBlocks, blockSize, kvHeads, headDim };
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
  const { kvHeads, headDim } = poolShape('kv_append', pool);
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
        constants: { WG: wg },
        bindings: { k: kv.tensor, v: vv.tensor, slots, k_cache: pool.k, v_cache: pool.v },
        params: { rows, rowSize, kOffset: kv.offset, kStride: kv.stride, vOffset: vv.offset, vStride: vv.stride },
        grid: [Math.ceil((rows * rowSize) / 4 / wg), 1, 1],
      },
    ],
    cost: { flops: 0, bytes: 4 * (4 * rows * rowSize + rows) },
    reference: (env) => {
      const s = valueOf(env, slots);
      env.set(pool.k.id, kvAppendRef(valueOf(env, pool.k), { data: valueOf(env, kv.tensor), offset: kv.offset, stride: kv.stride }, s, rowSize));
      env.set(pool.v.id, kvAppendRef(valueOf(env, pool.v), { data: valueOf(env, vv.tensor), offset: vv.offset, stride: vv.stride }, s, rowSize));
    },
  });
}
