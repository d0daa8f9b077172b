import { embeddingKernel } from '../../kernels/embedding.js';
import { type Dispatch, type Graph, check, checkDtype, rowChunks } from '../graph.js';
import { embedding as embeddingRef } from '../reference/data.js';
import { DTYPE_BYTES } from '../dtype.js';
import { isQuantized, quantBits } from '../quant_tensor.js';
import { type Tensor } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/embedding.wgsl default

/**
 * Token embedding: y[t, :] = table[ids[t], :].  table [V, H] bf16, q4 or q8 (runtime/quant.ts; bound in row chunks when over the binding limit,
 * one dispatch each), ids [T] u32 → y [T, H] f32. The ids are read on the GPU, so the builder cannot check them:
 * an id ≥ V yields a zero row (call checkTokenIds on the host before writing ids).
 */
export function embedding(g: Graph, table: Tensor, ids: Tensor, name: string): Tensor {
  check(table.shape.length === 2, 'embedding', 'table must be [V, H]', table);
  checkDtype('embedding', table, ['bf16', 'q4', 'q8']);
  check(table.dtype === 'bf16' || isQuantized(table), 'embedding', 'a q4/q8 table needs its scales', table);
  checkDtype('embedding', ids, ['u32']);
  check(ids.shape.length === 1, 'embedding', 'ids must be [T]', ids);
  const [vocab, hidden] = table.shape as [number, number];
  const tokens = ids.shape[0]!;
  const y = g.tensor(name, [tokens, hidden]);
  const n = tokens * hidden;
  const dispatches: Dispatch[] =
    n === 0
      ? []
      : rowChunks(g.limits, table).map((ch) => ({
          kernel: embeddingKernel,
          constants: { QBITS: quantBits(table) },
          bindings: { table: { tensor: table, byteOffset: ch.byteOffset, byteSize: ch.byteSize }, ids, scales: table.scales ?? ids, y }, // scales: a dummy for bf16
          params: { tokens, hidden, vocab, row_start: ch.rowStart, chunk_rows: ch.rows },
          grid: [Math.ceil(n / WG), 1, 1] as const,
        }));
  g.add({
    op: 'embedding',
    name,
    inputs: [table, ids, ...(table.scales ? [table.scales] : [])],
    outputs: [y],
    dispatches,
    cost: { flops: 0, bytes: n * (DTYPE_BYTES[table.dtype] + 4) + 4 * tokens },
    reference: (env) => env.set(y.id, embeddingRef(valueOf(env, table), valueOf(env, ids), vocab, hidden)),
  });
  return y;
}

/** Host-side check of token ids before they are written to an ids tensor: throws on the first id ≥ vocab. */
export function checkTokenIds(ids: ArrayLike<number>, vocab: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`[embedding] token id ${id} at position ${i} is outside the vocabulary [0, ${vocab})`);
  }
}
