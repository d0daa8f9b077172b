// Streams checkpoint tensors into GPU buffers in bounded chunks: one read of ≤ chunkBytes, one writeBuffer,
// and a queue drain every syncBytes, so neither JS nor Dawn's staging memory ever holds more than a few chunks.
// Raw bytes go up unchanged: a BF16/F16 tensor's little-endian bytes are the packed-two-per-u32 layout.
import type { DType } from '../runtime/dtype.js';
import { QUANT_GROUP, type QuantFormat, quantize } from '../runtime/quant.js';
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
  /**
   * Quantize these BF16 matrices on the way up (runtime/quant.ts; loader/quantization.ts says which): each chunk is
   * quantized on the host and only its codes and scales reach the GPU, as a q4/q8 tensor with its scales.
   */
  quantize?: (t: CheckpointTensor) => QuantFormat | undefined;
}

export interface UploadResult {
  readonly tensors: Map<string, Tensor>;
  readonly bytes: number;
  /** Time spent waiting for reads that were not already done (reads overlap with uploads). */
  readonly readMs: number;
  /** Time spent in createBuffer/writeBuffer and waiting for the queue. */
  readonly uploadMs: number;
}

const DTYPES: Partial<Record<SafetensorsDType, DType>> = { BF16: 'bf16', F16: 'f16', F32: 'f32', U32: 'u32' };

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
export const DEFAULT_SYNC_BYTES = 64 * 1024 * 1024;

interface Chunk {
  readonly tensor: CheckpointTensor;
  readonly offset: number; // within the tensor
  readonly length: number;
}

export function runtimeDType(t: Pick<CheckpointTensor, 'name' | 'dtype' | 'source'>): DType {
  const dtype = DTYPES[t.dtype];
  if (!dtype) throw new Error(`${t.source.name}: tensor ${t.name}: dtype ${t.dtype} cannot be uploaded as a weight (BF16, F16, F32, or U32 codes only)`);
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
  const formats = new Map<CheckpointTensor, QuantFormat>();
  for (const t of list) {
    runtimeDType(t);
    const format = options.quantize?.(t);
    if (!format) continue;
    if (t.dtype !== 'BF16' || t.shape.length !== 2 || t.shape[1]! % QUANT_GROUP !== 0) throw new Error(`${t.source.name}: tensor ${t.name} (${t.dtype} [${t.shape.join(', ')}]) cannot be quantized: only BF16 matrices with K % ${QUANT_GROUP} == 0`);
    formats.set(t, format);
  }
  if (formats.size && chunkBytes % 64 !== 0) throw new Error(`uploadWeights: chunkBytes ${chunkBytes} must be a multiple of 64 to quantize (whole groups of 32 bf16)`);
  const chunks: Chunk[] = [];
  for (const t of list) {
    const size = t.end - t.begin;
    for (let offset = 0; offset < size; offset += chunkBytes) chunks.push({ tensor: t, offset, length: Math.min(chunkBytes, size - offset) });
  }
  const bytesTotal = list.reduce((sum, t) => sum + (t.end - t.begin), 0);

  const buffers = new Map<string, GPUBuffer>();
  const scaleBuffers = new Map<string, GPUBuffer>();
  const out = new Map<string, Tensor>();
  // Rounded up to whole u32 words (bf16 [odd] tensors), and never 0 so a binding stays valid.
  const createBuffer = (label: string, bytes: number) =>
    device.createBuffer({ label, size: Math.max(4, Math.ceil(bytes / 4) * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  const bufferFor = (t: CheckpointTensor): GPUBuffer => {
    let buffer = buffers.get(t.name);
    const format = formats.get(t);
    if (!buffer && format) {
      const count = (t.end - t.begin) / 2;
      buffer = createBuffer(t.name, format === 'q4' ? count / 2 : count);
      const scales = createBuffer(`${t.name}.scales`, (2 * count) / QUANT_GROUP);
      buffers.set(t.name, buffer);
      scaleBuffers.set(t.name, scales);
      const scalesTensor = makeTensor(`${t.name}.scales`, [t.shape[0]!, t.shape[1]! / QUANT_GROUP], 'f16', 'weight', { buffer: scales, offset: 0, size: scales.size });
      out.set(t.name, makeTensor(t.name, t.shape, format, 'weight', { buffer, offset: 0, size: buffer.size }, scalesTensor));
    }
    if (!buffer) {
      buffer = createBuffer(t.name, t.end - t.begin);
      buffers.set(t.name, buffer);
      out.set(t.name, makeTensor(t.name, t.shape, runtimeDType(t), 'weight', { buffer, offset: 0, size: buffer.size }));
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
      const format = formats.get(chunk.tensor);
      if (format) {
        // chunk.offset and length are multiples of 64 bytes (chunkBytes is; a tensor is whole rows of groups)
        const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
        const q = quantize(format, new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2), aligned.byteLength / 64, QUANT_GROUP);
        device.queue.writeBuffer(bufferFor(chunk.tensor), format === 'q4' ? chunk.offset / 4 : chunk.offset / 2, q.qweight);
        const scales = q.scales.length % 2 === 0 ? q.scales : Uint16Array.from({ length: q.scales.length + 1 }, (_, i) => q.scales[i] ?? 0);
        device.queue.writeBuffer(scaleBuffers.get(chunk.tensor.name)!, chunk.offset / 32, scales);
      } else {
        device.queue.writeBuffer(bufferFor(chunk.tensor), chunk.offset, bytes as Uint8Array<ArrayBuffer>);
      }
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
    for (const buffer of [...buffers.values(), ...scaleBuffers.values()]) buffer.destroy();
    throw e;
  }
  return { tensors: out, bytes: bytesTotal, readMs, uploadMs };
}
