import { scatterRowsKernel } from '../../kernels/scatter_rows.js';
import { type Dispatch, type Graph, check, checkDtype } from '../graph.js';
import { scatterRows as scatterRowsRef } from '../reference/data.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/scatter_rows.wgsl default

/**
 * Image features into token embeddings: y = x with y[rows[i], :] = src[i, :].  x [T, H] f32, src [N, H] (any shape
 * with N·H elements, e.g. the projector's [tiles·256, H]) f32, rows [N] u32 (the IMG_CONTEXT positions in order,
 * distinct; rows ≥ T are skipped — check them on the host with checkScatterRows) → y [T, H], a new tensor.
 */
export function scatterRows(g: Graph, x: Tensor, src: Tensor, rows: Tensor, name: string): Tensor {
  check(x.shape.length === 2, 'scatter_rows', 'x must be [T, H]', x);
  const [tokens, hidden] = x.shape as [number, number];
  check(rows.shape.length === 1, 'scatter_rows', 'rows must be [N]', rows);
  const nSrc = rows.shape[0]!;
  check(src.shape.at(-1) === hidden && numel(src.shape) === nSrc * hidden, 'scatter_rows', 'src must hold N rows of H with N = len(rows)', x, src, rows);
  checkDtype('scatter_rows', x, ['f32']);
  checkDtype('scatter_rows', src, ['f32']);
  checkDtype('scatter_rows', rows, ['u32']);
  const y = g.tensor(name, x.shape);
  const params = { tokens, hidden, n_src: nSrc };
  // With no rows the src/rows tensors are empty and cannot be bound; the copy pass then binds x in their slots.
  const bindings = nSrc > 0 ? { x, src, rows, y } : { x, src: x, rows: { tensor: x, byteOffset: 0, byteSize: 4 }, y };
  const dispatches: Dispatch[] = [];
  if (tokens * hidden > 0) dispatches.push({ kernel: scatterRowsKernel, constants: { SCATTER: false }, bindings, params, grid: [Math.ceil((tokens * hidden) / WG), 1, 1] });
  if (nSrc * hidden > 0) dispatches.push({ kernel: scatterRowsKernel, constants: { SCATTER: true }, bindings, params, grid: [Math.ceil((nSrc * hidden) / WG), 1, 1] });
  g.add({
    op: 'scatter_rows',
    name,
    inputs: [x, src, rows],
    outputs: [y],
    dispatches,
    cost: { flops: 0, bytes: 8 * tokens * hidden + 8 * nSrc * hidden + 4 * nSrc },
    reference: (env) => env.set(y.id, scatterRowsRef(valueOf(env, x), valueOf(env, src), valueOf(env, rows), tokens, hidden)),
  });
  return y;
}

/** Host-side check of the rows before they are written: each < tokens, and no repeats. */
export function checkScatterRows(rows: ArrayLike<number>, tokens: number): void {
  const seen = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= tokens) throw new Error(`[scatter_rows] row ${r} at index ${i} is outside [0, ${tokens})`);
    if (seen.has(r)) throw new Error(`[scatter_rows] row ${r} is listed twice (index ${i})`);
    seen.add(r);
  }
}
