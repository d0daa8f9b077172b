// Weights rebuilt from row ranges of others at load, on the GPU in one command buffer: Qwen2's q/k/v projections
// joined into one, InternLM2's packed wqkv reordered into [q; k; v], Phi-3's gate_up_proj split. Row ranges of a q4/q8 weight carry their
// scales' rows along. The source tensors are freed. Browser-safe.
import type { Gpu } from '../runtime/device.js';
import { createQuantizedTensor, destroyWeight, isQuantized } from '../runtime/quant_tensor.js';
import { type BufferRange, type Tensor, byteLength, formatShape, makeTensor } from '../runtime/tensor.js';
import { createTensor } from '../runtime/upload.js';

/** Rows [row, row + rows) of the tensor named `part` (all of it when row/rows are omitted). */
export interface RowBlock {
  readonly part: string;
  readonly row?: number;
  readonly rows?: number;
}

/** A new tensor `name` made of `blocks` in order. */
export interface Join {
  readonly name: string;
  readonly blocks: readonly RowBlock[];
}

/** The joins a checkpoint tensor starts (none for most). */
export type JoinPlan = (name: string) => readonly Join[];

interface CheckedJoin {
  readonly name: string;
  readonly first: Tensor;
  readonly rows: number;
  readonly ranges: readonly { readonly part: string; readonly t: Tensor; readonly row: number; readonly rows: number }[];
}

/** A join's parts and row ranges, checked (present, same dtype and width, rows inside, whole 4-byte words). */
function checkJoin(join: Join, tensors: ReadonlyMap<string, Tensor>): CheckedJoin {
  const parts = join.blocks.map((b) => tensors.get(b.part));
  const missing = join.blocks.filter((_, i) => !parts[i]).map((b) => b.part);
  if (missing.length) throw new Error(`[weights] ${join.name} needs ${[...new Set(missing)].join(', ')}, which the checkpoint lacks`);
  const first = parts[0]!;
  const cols = first.shape.slice(1);
  for (const t of parts as Tensor[]) {
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.slice(1).some((d, i) => d !== cols[i])) {
      throw new Error(`[weights] ${join.name}: its parts differ in dtype or width (${t.name} ${t.dtype} ${formatShape(t.shape)}, ${first.name} ${first.dtype} ${formatShape(first.shape)})`);
    }
  }
  const ranges = join.blocks.map((b, i) => ({ part: b.part, t: parts[i]!, row: b.row ?? 0, rows: b.rows ?? parts[i]!.shape[0]! - (b.row ?? 0) }));
  let dstRow = 0;
  for (const r of ranges) {
    if (r.row < 0 || r.rows < 0 || r.row + r.rows > r.t.shape[0]!) throw new Error(`[weights] ${join.name}: rows ${r.row}..${r.row + r.rows} are outside ${r.t.name} ${formatShape(r.t.shape)}`);
    for (const src of [r.t, r.t.scales]) {
      const rowBytes = src ? byteLength(src) / src.shape[0]! : 4;
      if ((r.row * rowBytes) % 4 || (dstRow * rowBytes) % 4 || (r.rows * rowBytes) % 4) throw new Error(`[weights] ${join.name}: rows of ${src!.name} (${rowBytes} bytes each) do not fall on 4-byte words`);
    }
    dstRow += r.rows;
  }
  return { name: join.name, first, rows: dstRow, ranges };
}

/**
 * Returns the tensor map with every planned join in place of its parts. Every join is checked before any buffer is
 * made, so a bad checkpoint leaves nothing behind.
 */
export async function joinRows(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>, label: string, plan: JoinPlan): Promise<Map<string, Tensor>> {
  const joins = [...tensors.keys()].flatMap(plan).map((join) => checkJoin(join, tensors));
  const out = new Map(tensors);
  const encoder = gpu.device.createCommandEncoder({ label });
  const freed = new Set<Tensor>();
  for (const { name, first, rows, ranges } of joins) {
    const cols = first.shape.slice(1);
    const joined = isQuantized(first) ? createQuantizedTensor(gpu, name, first.dtype, rows, cols[0]!) : createTensor(gpu, name, [rows, ...cols], first.dtype, 'weight');
    let dstRow = 0;
    for (const r of ranges) {
      // The codes (or values), and for q4/q8 the scales, each row-major with a fixed number of bytes per row.
      for (const [src, dst] of [[r.t, joined], [r.t.scales, joined.scales]] as const) {
        if (!src || !dst) continue;
        const rowBytes = byteLength(src) / src.shape[0]!;
        encoder.copyBufferToBuffer(src.storage!.buffer, src.storage!.offset + r.row * rowBytes, dst.storage!.buffer, dst.storage!.offset + dstRow * rowBytes, r.rows * rowBytes);
      }
      dstRow += r.rows;
    }
    for (const r of ranges) {
      out.delete(r.part);
      freed.add(r.t);
    }
    out.set(name, joined);
  }
  gpu.device.queue.submit([encoder.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
  for (const t of freed) destroyWeight(t);
  return out;
}

/** Rows [row, row + rows) of the tensor named `part`, as the tensor `name`. */
export interface RowPiece {
  readonly name: string;
  readonly row: number;
  readonly rows: number;
}

/** Rows of a weight as a tensor of its own over the same buffer(s), or undefined where a binding could not start there. */
function rowView(t: Tensor, piece: RowPiece, align: number): Tensor | undefined {
  const parts = [t, t.scales].map((src) => {
    if (!src) return undefined;
    const rowBytes = byteLength(src) / src.shape[0]!;
    const offset = src.storage!.offset + piece.row * rowBytes;
    return offset % align === 0 ? { ...src.storage!, offset, size: piece.rows * rowBytes } : null;
  });
  if (parts.includes(null)) return undefined;
  const [codes, scales] = parts as (BufferRange | undefined)[];
  const scalesView = t.scales && scales ? makeTensor(`${piece.name}.scales`, [piece.rows, ...t.scales.shape.slice(1)], t.scales.dtype, 'weight', scales) : undefined;
  return makeTensor(piece.name, [piece.rows, ...t.shape.slice(1)], t.dtype, 'weight', codes, scalesView);
}

/**
 * Splits weights into row ranges: views of the same buffer where every piece starts at a bindable offset (no copy,
 * no memory), else copies (joinRows). The split tensor leaves the map.
 */
export async function splitRows(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>, label: string, plan: (name: string) => readonly RowPiece[]): Promise<Map<string, Tensor>> {
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  const out = new Map(tensors);
  const copies = new Map<string, readonly RowPiece[]>();
  for (const [name, t] of tensors) {
    const pieces = plan(name);
    if (!pieces.length) continue;
    const views = pieces.map((p) => rowView(t, p, align));
    if (views.some((v) => !v)) {
      copies.set(name, pieces);
      continue;
    }
    out.delete(name);
    for (const v of views) out.set(v!.name, v!);
  }
  if (!copies.size) return out;
  return joinRows(gpu, out, label, (name) => (copies.get(name) ?? []).map((p) => ({ name: p.name, blocks: [{ part: name, row: p.row, rows: p.rows }] })));
}
