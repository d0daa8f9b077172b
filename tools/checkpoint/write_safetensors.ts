// Writes a safetensors file the way torch's `safetensors.torch.save_file` does: tensors laid out in name order
// (sorted by dtype size, then name), compact JSON header with `__metadata__` first, padded with spaces to a multiple of 8.
// Data is streamed to disk chunk by chunk, so a 1.9 GB file never sits in memory.
import { type FileHandle, open } from 'node:fs/promises';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from '../../loader/safetensors.js';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
}

/** Produces a tensor's bytes in order, in pieces of any size; the pieces must add up to the tensor's size. */
export type TensorBytes = (spec: TensorSpec, byteLength: number) => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface SafetensorsLayout {
  readonly header: Uint8Array;
  /** In file order, with offsets relative to the data section. */
  readonly tensors: readonly (TensorSpec & { readonly begin: number; readonly end: number })[];
  readonly fileSize: number;
}

const byteSize = (t: TensorSpec) => t.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype];

export function safetensorsLayout(specs: readonly TensorSpec[], metadata: Record<string, string> = { format: 'pt' }): SafetensorsLayout {
  // safetensors sorts by dtype alignment (largest first) then by name; `<` is byte order for ASCII names.
  const sorted = [...specs].sort(
    (a, b) => SAFETENSORS_DTYPE_BYTES[b.dtype] - SAFETENSORS_DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  let offset = 0;
  const tensors = sorted.map((t) => {
    const begin = offset;
    offset += byteSize(t);
    return { ...t, begin, end: offset };
  });
  const parts = [`"__metadata__":${JSON.stringify(metadata)}`];
  for (const t of tensors) parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${t.begin},${t.end}]}`);
  let json = `{${parts.join(',')}}`;
  json += ' '.repeat((8 - (new TextEncoder().encode(json).byteLength % 8)) % 8);
  const header = new TextEncoder().encode(json);
  return { header, tensors, fileSize: 8 + header.byteLength + offset };
}

export async function writeSafetensors(path: string, specs: readonly TensorSpec[], bytesOf: TensorBytes, metadata?: Record<string, string>): Promise<SafetensorsLayout> {
  const layout = safetensorsLayout(specs, metadata);
  const file = await open(path, 'w');
  try {
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(layout.header.byteLength), true);
    await writeAll(file, length);
    await writeAll(file, layout.header);
    for (const t of layout.tensors) {
      let written = 0;
      for await (const piece of bytesOf(t, t.end - t.begin)) {
        await writeAll(file, piece);
        written += piece.byteLength;
      }
      if (written !== t.end - t.begin) throw new Error(`${path}: tensor ${t.name}: generator produced ${written} bytes, expected ${t.end - t.begin}`);
    }
  } finally {
    await file.close();
  }
  return layout;
}

/** FileHandle.write may write less than asked; loop until the whole piece is on disk. */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) done += (await file.write(bytes, done, bytes.byteLength - done)).bytesWritten;
}
