// Places a graph's intermediates by lifetime. Each intermediate goes into a slot (one GPU buffer) shared only
// with tensors whose lifetimes do not intersect; the slot is as large as its largest tensor. Whole buffers,
// not offsets in one arena: WebGPU validates usage per buffer, so a dispatch may not bind one buffer both
// read-only and writable even for disjoint ranges — an op's inputs are alive when its output is born, so they
// never share a slot with it. Greedy by size with best fit (ratchet's allocator at buffer granularity).
// Reshapes share a tensor id and therefore a slot. Tensors in `keep` live to the end (read back after the run).
import type { OpNode } from './graph.js';
import { bindingTensor } from './graph.js';
import { type Tensor, byteLength } from './tensor.js';

export interface Placement {
  /** Slot index of each intermediate tensor id. */
  readonly slotOf: Map<number, number>;
  /** Byte size of each slot (its largest tensor, rounded to 16). */
  readonly slotBytes: readonly number[];
  /** Sum of the slots: the intermediates' memory. */
  readonly arenaBytes: number;
  /** What the intermediates would need without reuse. */
  readonly naiveBytes: number;
}

export function placeIntermediates(nodes: readonly OpNode[], keep: readonly Tensor[]): Placement {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sizes = new Map<number, number>();
  const touch = (t: Tensor, i: number) => {
    if (t.kind !== 'intermediate') return;
    if (!first.has(t.id)) first.set(t.id, i);
    last.set(t.id, Math.max(last.get(t.id) ?? i, i));
    sizes.set(t.id, Math.max(sizes.get(t.id) ?? 0, Math.ceil(byteLength(t) / 16) * 16));
  };
  nodes.forEach((node, i) => {
    for (const t of node.inputs) touch(t, i);
    for (const t of node.outputs) touch(t, i);
    for (const d of node.dispatches) for (const b of Object.values(d.bindings)) touch(bindingTensor(b), i);
  });
  for (const t of keep) if (last.has(t.id)) last.set(t.id, nodes.length);

  const order = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || first.get(a)! - first.get(b)!);
  const slots: { bytes: number; lives: [number, number][] }[] = [];
  const slotOf = new Map<number, number>();
  let naiveBytes = 0;
  for (const id of order) {
    const size = sizes.get(id)!;
    const [start, end] = [first.get(id)!, last.get(id)!];
    naiveBytes += size;
    let best = -1;
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s]!;
      if (slot.lives.some(([a, b]) => a <= end && start <= b)) continue;
      // Prefer a slot that already fits (smallest such), else the largest one (least growth).
      const fits = slot.bytes >= size;
      const bestSlot = slots[best];
      if (!bestSlot || (fits && (bestSlot.bytes < size || slot.bytes < bestSlot.bytes)) || (!fits && bestSlot.bytes < size && slot.bytes > bestSlot.bytes)) best = s;
    }
    if (best < 0) {
      best = slots.length;
      slots.push({ bytes: 0, lives: [] });
    }
    const slot = slots[best]!;
    slot.bytes = Math.max(slot.bytes, size);
    slot.lives.push([start, end]);
    slotOf.set(id, best);
  }
  const slotBytes = slots.map((s) => s.bytes);
  return { slotOf, slotBytes, arenaBytes: slotBytes.reduce((a, b) => a + b, 0), naiveBytes };
}
