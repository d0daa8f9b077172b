import { argmaxFinalKernel } from '../../kernels/argmax_final.js';
import { argmaxPartialKernel } from '../../kernels/argmax_partial.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { argmax as argmaxRef } from '../reference/data.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const PARTIAL_WG = 256; // kernels/argmax_partial.wgsl default
const CHUNK = PARTIAL_WG * 16; // elements per stage-1 workgroup: 38 chunks for V = 151655

/**
 * Greedy pick: the first index of the maximum over the last dim, as torch.argmax (NaN counts as the maximum).
 * logits [..., V] f32 → u32 [...] ([1] for a 1-D logits vector). Two stages: per-chunk partials
 * (`${name}.partial_key`, `${name}.partial_idx`, [rows, ⌈V/4096⌉] u32 scratch), then one workgroup per row.
 * `out`: a u32 state tensor of that shape to write instead of a new intermediate (the decode graph keeps the
 * chosen tokens on the GPU, where the next step's embedding reads them).
 */
export function argmax(g: Graph, logits: Tensor, name: string, out?: Tensor): Tensor {
  checkDtype('argmax', logits, ['f32']);
  const vocab = logits.shape.at(-1) ?? 0;
  check(vocab > 0 && vocab < 0xffffffff, 'argmax', 'logits must be [..., V] with V ≥ 1', logits);
  const rows = numel(logits.shape) / vocab;
  check(rows <= 65535, 'argmax', 'at most 65535 rows', logits);
  const nChunks = Math.ceil(vocab / CHUNK);
  const partKey = g.tensor(`${name}.partial_key`, [rows, nChunks], 'u32');
  const partIdx = g.tensor(`${name}.partial_idx`, [rows, nChunks], 'u32');
  const shape = logits.shape.length === 1 ? [1] : logits.shape.slice(0, -1);
  if (out) {
    checkDtype('argmax', out, ['u32']);
    check(numel(out.shape) === numel(shape), 'argmax', `out must hold ${numel(shape)} ids`, logits, out);
  }
  const y = out ?? g.tensor(name, shape, 'u32');
  g.add({
    op: 'argmax',
    name,
    inputs: [logits],
    outputs: [y],
    dispatches:
      rows === 0
        ? []
        : [
            {
              kernel: argmaxPartialKernel,
              bindings: { x: logits, part_key: partKey, part_idx: partIdx },
              params: { vocab, chunk: CHUNK, n_chunks: nChunks },
              grid: [nChunks, rows, 1],
            },
            { kernel: argmaxFinalKernel, bindings: { part_key: partKey, part_idx: partIdx, y }, params: { batch: rows, n_chunks: nChunks }, grid: [rows, 1, 1] },
          ],
    cost: { flops: rows * vocab, bytes: 4 * rows * vocab + 16 * rows * nChunks + 4 * rows },
    reference: (env) => env.set(y.id, argmaxRef(valueOf(env, logits), rows, vocab)),
  });
  return y;
}
