import { bf16ToF32Kernel } from '../../kernels/bf16_to_f32.js';
import { copyKernel } from '../../kernels/copy.js';
import { type Graph, type ReferenceEnv, check } from '../graph.js';
import { castBf16ToF32, copyRange } from '../reference/cast_copy.js';
import { type Tensor, formatShape, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256;

/** f32 copy of a bf16 tensor (exact). */
export function bf16ToF32(g: Graph, x: Tensor, name: string, out?: Tensor): Tensor {
  check(x.dtype === 'bf16', 'bf16_to_f32', 'input must be bf16', x);
  const n = numel(x.shape);
  const y = out ?? g.tensor(name, x.shape, 'f32');
  check(y.dtype === 'f32' && numel(y.shape) === n, 'bf16_to_f32', 'out must be f32 with as many elements', x, y);
  g.add({
    op: 'bf16_to_f32',
    name,
    inputs: [x],
    outputs: [y],
    dispatches: [{ kernel: bf16ToF32Kernel, bindings: { x, y }, params: { n }, grid: [Math.max(1, Math.ceil(n / 2 / WG)), 1, 1] }],
    cost: { flops: 0, bytes: 6 * n },
    reference: (env) => env.set(y.id, castBf16ToF32(valueOf(env, x))),
  });
  return y;
}

/**
 * Copy `rows` rows of x starting at row `srcRow` into `dst` starting at row `dstRow` (same row width and dtype).
 * `dst` is usually a persistent ('state') tensor: image features carried from the vision pass to the LLM pass.
 * Returns dst for chaining; the graph records the write so later readers are ordered after it.
 */
export function copyRows(g: Graph, x: Tensor, srcRow: number, dst: Tensor, dstRow: number, rows: number, name: string): Tensor {
  const width = numel(x.shape.slice(1));
  check(x.dtype === dst.dtype && ['f32', 'u32', 'i32'].includes(x.dtype), 'copy_rows', 'x and dst must share a 32-bit dtype', x, dst);
  check(numel(dst.shape.slice(1)) === width, 'copy_rows', 'row widths differ', x, dst);
  check(srcRow + rows <= (x.shape[0] ?? 0) && dstRow + rows <= (dst.shape[0] ?? 0), 'copy_rows', `rows ${srcRow}+${rows} → ${dstRow}+${rows} out of range`, x, dst);
  const n = rows * width;
  g.add({
    op: 'copy_rows',
    name,
    inputs: [x, dst],
    outputs: [],
    dispatches: [{ kernel: copyKernel, bindings: { x, y: dst }, params: { n, src_offset: srcRow * width, dst_offset: dstRow * width }, grid: [Math.max(1, Math.ceil(n / WG)), 1, 1] }],
    cost: { flops: 0, bytes: 8 * n },
    reference: (env: ReferenceEnv) => env.set(dst.id, copyRange(valueOf(env, x), env.get(dst.id), numel(dst.shape), n, srcRow * width, dstRow * width)),
  });
  return dst;
}

/** Rows [start, start + rows) of x as a new tensor (e.g. the last prompt position before lm_head). */
export function sliceRows(g: Graph, x: Tensor, start: number, rows: number, name: string): Tensor {
  const width = numel(x.shape.slice(1));
  check(x.dtype !== 'bf16' && x.dtype !== 'f16', 'slice_rows', 'x must have a 32-bit dtype', x);
  check(start + rows <= (x.shape[0] ?? 0), 'slice_rows', `rows ${start}..${start + rows} out of ${formatShape(x.shape)}`, x);
  const y = g.tensor(name, [rows, ...x.shape.slice(1)], x.dtype);
  const n = rows * width;
  g.add({
    op: 'slice_rows',
    name,
    inputs: [x],
    outputs: [y],
    dispatches: [{ kernel: copyKernel, bindings: { x, y }, params: { n, src_offset: start * width, dst_offset: 0 }, grid: [Math.max(1, Math.ceil(n / WG)), 1, 1] }],
    cost: { flops: 0, bytes: 8 * n },
    reference: (env) => env.set(y.id, copyRange(valueOf(env, x), undefined, n, n, start * width, 0)),
  });
  return y;
}
