// Streams checkpoint tensors into GPU buffers in bounded chunks: one read of ≤ chunkBytes, one writeBuffer,
// and a queue drain every syncBytes, so neither JS nor Dawn's staging memory ever holds more than a few chunks.
// Raw bytes go up unchanged: a BF16/F16 tensor's little-endian bytes are the packed-two-per-u32 layout.
import type { DType } from '../runtime/dtype.js';
import { makeTensor, type Tensor } from '../runtime/tensor.js';
import type { CheckpointTensor } from './checkpoint.js';
import type { SafetensorsDType } from './safetensors.js';

export interface UploadOptions {
  /** Called after every chunk with cumulative bytes. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Largest single read and writeBuffer (multiple of 4). */
  chunkBytes?: number;
  /** Wait for the queue after this many bytes, which bounds Dawn's staging copies. */
  syncBytes?: number;
}

export interface UploadResult {
  readonly tensors: Map<string, Tensor>;
  readonly bytes: number;
  /** Time spent waiting for reads that were not already done (reads overlap with uploads). */
  readonly readMs: number;
  /** Time spent in createBuffer/writeBuffer and waiting for the queue. */
  readonly uploadMs: number;
}

const DTYPES: Partial<Record<SafetensorsDType, DType>> = { BF16: 'bf16', F16: 'f16', F32: 'f32' };

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
export const DEFAULT_SYNC_BYTES = 64 * 1024 * 1024;

interface Chunk {
  readonly tensor: CheckpointTensor;
  readonly offset: number; // within the tensor
  readonly length: number;
}

export function runtimeDType(t: Pick<CheckpointTensor, 'name' | 'dtype' | 'source'>): DType {
  const dtype = DTYPES[t.dtype];
  if (!dtype) throw new Error(`${t.source.name}: tensor ${t.name}: dtype ${t.dtype} cannot be uploaded as a weight (BF16, F16 or F32 only)`);
  return dtype;
}

export async function uploadWeights(device: GPUDevice, tensors: Iterable<CheckpointTensor>, options: UploadOptions = {}): Promise<UploadResult> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const syncBytes = options.syncBytes ?? DEFAULT_SYNC_BYTES;
  if (chunkBytes <= 0 || chunkBytes % 4 !== 0) throw new Error(`uploadWeights: chunkBytes ${chunkBytes} must be a positive multiple of 4`);

  // File order, so a disk or an HTTP cache sees sequential reads.
  const sources = new Map<unknown, number>();
  const list = [...tensors].sort((a, b) => {
    const sa = sources.get(a.source) ?? sources.set(a.source, sources.size).get(a.source)!;
    const sb = sources.get(b.source) ?? sources.set(b.source, sources.size).get(b.source)!;
    return sa - sb || a.begin - b.begin;
  });
  for (const t of list) runtimeDType(t);
  const chunks: Chunk[] = [];
  for (const t of list) {
    const size = t.end - t.begin;
    for (let offset = 0; offset < size; offset += chunkBytes) chunks.push({ tensor: t, offset, length: Math.min(chunkBytes, size - offset) });
  }
  const bytesTotal = list.reduce((sum, t) => sum + (t.end - t.begin), 0);

  const buffers = new Map<string, GPUBuffer>();
  const out = new Map<string, Tensor>();
  const bufferFor = (t: CheckpointTensor): GPUBuffer => {
    let buffer = buffers.get(t.name);
    if (!buffer) {
      // Rounded up to whole u32 words (bf16 [odd] tensors), and never 0 so a binding stays valid.
      const size = Math.max(4, Math.ceil((t.end - t.begin) / 4) * 4);
      buffer = device.createBuffer({ label: t.name, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      buffers.set(t.name, buffer);
      out.set(t.name, makeTensor(t.name, t.shape, runtimeDType(t), 'weight', { buffer, offset: 0, size }));
    }
    return buffer;
  };
  const read = (c: Chunk) => c.tensor.source.read(c.tensor.begin + c.offset, c.length);

  let readMs = 0;
  let uploadMs = 0;
  let bytesDone = 0;
  let sinceSync = 0;
  try {
    // Zero-size tensors have no chunks but still get a (4-byte) buffer.
    for (const t of list) if (t.end === t.begin) bufferFor(t);
    let next = chunks.length > 0 ? read(chunks[0]!) : undefined;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      let t0 = performance.now();
      let bytes = await next!;
      readMs += performance.now() - t0;
      // Start the next read before uploading this chunk: disk and GPU copy overlap.
      next = i + 1 < chunks.length ? read(chunks[i + 1]!) : undefined;

      t0 = performance.now();
      if (bytes.byteLength % 4 !== 0) {
        const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
        padded.set(bytes);
        bytes = padded;
      }
      device.queue.writeBuffer(bufferFor(chunk.tensor), chunk.offset, bytes as Uint8Array<ArrayBuffer>);
      sinceSync += bytes.byteLength;
      if (sinceSync >= syncBytes) {
        await device.queue.onSubmittedWorkDone();
        sinceSync = 0;
      }
      uploadMs += performance.now() - t0;
      bytesDone += chunk.length;
      options.onProgress?.(bytesDone, bytesTotal);
    }
    const t0 = performance.now();
    await device.queue.onSubmittedWorkDone();
    uploadMs += performance.now() - t0;
  } catch (e) {
    for (const buffer of buffers.values()) buffer.destroy();
    throw e;
  }
  return { tensors: out, bytes: bytesTotal, readMs, uploadMs };
}
