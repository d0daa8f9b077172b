import { ropeKernel } from '../../kernels/rope.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { rope as ropeRef } from '../reference/elementwise.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/rope.wgsl default

/**
 * Qwen2 half-split RoPE on q [T, Hq·Dh] and k [T, Hkv·Dh] (f32) at positions [T] (u32, an input tensor so a decode
 * step at a new position needs no rebuild). invFreq [Dh/2] f32 holds HF's float32 inv_freq: upload
 * `ropeInvFreq(Dh, rope_theta)` from runtime/reference/elementwise.ts once. Returns new tensors
 * `${name}.q` and `${name}.k` (same shapes as q and k); one node, two dispatches.
 */
export function rope(g: Graph, q: Tensor, k: Tensor, positions: Tensor, invFreq: Tensor, name: string): { q: Tensor; k: Tensor } {
  const half = numel(invFreq.shape);
  const dh = 2 * half;
  check(invFreq.shape.length === 1 && half > 0, 'rope', 'invFreq must be [Dh/2]', invFreq);
  checkDtype('rope', invFreq, ['f32']);
  checkDtype('rope', positions, ['u32']);
  const rows = q.shape[0] ?? 0;
  check(positions.shape.length === 1 && positions.shape[0] === rows, 'rope', 'positions must be [T] with T = rows of q', q, positions);
  const outs: Tensor[] = [];
  const dispatches = [];
  let flops = 0, bytes = 4 * rows + 4 * half;
  for (const [x, tag] of [[q, 'q'], [k, 'k']] as const) {
    checkDtype('rope', x, ['f32']);
    check(x.shape.length === 2 && x.shape[0] === rows && x.shape[1]! % dh === 0, 'rope', `${tag} must be [T, heads·Dh] with Dh = 2·len(invFreq)`, x, positions, invFreq);
    const heads = x.shape[1]! / dh;
    const y = g.tensor(`${name}.${tag}`, x.shape);
    outs.push(y);
    const pairs = rows * heads * half;
    if (pairs > 0) dispatches.push({ kernel: ropeKernel, bindings: { x, pos: positions, inv_freq: invFreq, y }, params: { rows, heads, half, zero: 0 }, grid: [Math.ceil(pairs / WG), 1, 1] as const });
    flops += 30 * pairs;
    bytes += 16 * pairs;
  }
  const [qr, kr] = outs as [Tensor, Tensor];
  g.add({
    op: 'rope',
    name,
    inputs: [q, k, positions, invFreq],
    outputs: [qr, kr],
    dispatches,
    cost: { flops, bytes },
    reference: (env) => {
      const pos = valueOf(env, positions), f = valueOf(env, invFreq);
      env.set(qr.id, ropeRef(valueOf(env, q), pos, f, rows, q.shape[1]! / dh));
      env.set(kr.id, ropeRef(valueOf(env, k), pos, f, rows, k.shape[1]! / dh));
    },
  });
  return { q: qr, k: kr };
}
