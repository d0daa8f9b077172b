// Places a graph's intermediates in one arena by lifetime: greedy by size, lowest offset that does not
// overlap a placed tensor whose lifetime intersects (ratchet's allocator). Reshapes share a tensor id and
// therefore storage. Tensors listed in `keep` live to the end so they can be read back after the run.
import type { OpNode } from './graph.js';
import { bindingTensor } from './graph.js';
import { type Tensor, byteLength } from './tensor.js';

export interface Placement {
  /** Byte offset of each intermediate tensor id inside the arena. */
  readonly offsets: Map<number, number>;
  readonly sizes: Map<number, number>;
  readonly arenaBytes: number;
  /** What the arena would need without reuse: every intermediate in its own range. */
  readonly naiveBytes: number;
}

export function placeIntermediates(nodes: readonly OpNode[], keep: readonly Tensor[], alignment: number): Placement {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sizes = new Map<number, number>();
  const touch = (t: Tensor, i: number) => {
    if (t.kind !== 'intermediate') return;
    if (!first.has(t.id)) first.set(t.id, i);
    last.set(t.id, Math.max(last.get(t.id) ?? i, i));
    sizes.set(t.id, Math.max(sizes.get(t.id) ?? 0, align(byteLength(t), alignment)));
  };
  nodes.forEach((node, i) => {
    for (const t of node.inputs) touch(t, i);
    for (const t of node.outputs) touch(t, i);
    for (const d of node.dispatches) for (const b of Object.values(d.bindings)) touch(bindingTensor(b), i);
  });
  for (const t of keep) if (last.has(t.id)) last.set(t.id, nodes.length);

  const order = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || first.get(a)! - first.get(b)!);
  const placed: { id: number; offset: number; size: number; start: number; end: number }[] = [];
  const offsets = new Map<number, number>();
  let arenaBytes = 0;
  let naiveBytes = 0;
  for (const id of order) {
    const size = sizes.get(id)!;
    const start = first.get(id)!;
    const end = last.get(id)!;
    naiveBytes += size;
    const conflicts = placed.filter((p) => p.start <= end && start <= p.end).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (offset + size <= c.offset) break;
      offset = Math.max(offset, align(c.offset + c.size, alignment));
    }
    placed.push({ id, offset, size, start, end });
    offsets.set(id, offset);
    arenaBytes = Math.max(arenaBytes, offset + size);
  }
  return { offsets, sizes, arenaBytes, naiveBytes };
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
