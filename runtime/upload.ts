// Small host→GPU helpers for tensors made from host arrays (tests, inputs, converted vectors).
import type { Gpu } from './device.js';
import { type DType, f32ToF16, packBf16 } from './dtype.js';
import { type Tensor, type TensorKind, byteLength, formatShape, makeTensor, numel } from './tensor.js';


/** A GPU buffer sized for the tensor (whole u32 words), usable as storage, copy source and destination. */
export function createTensor(gpu: Gpu, name: string, shape: readonly number[], dtype: DType, kind: Exclude<TensorKind, 'intermediate'>): Tensor {
  const size = Math.max(4, byteLength({ shape, dtype }));
  const buffer = gpu.device.createBuffer({ label: name, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  return makeTensor(name, shape, dtype, kind, { buffer, offset: 0, size });
}

/** Host values → device bytes in the tensor's dtype (bf16 rounds to nearest even). */
export function encodeValues(dtype: DType, values: ArrayLike<number>): ArrayBufferView<ArrayBuffer> {
  switch (dtype) {
    case 'f32':
      return Float32Array.from(values);
    case 'bf16':
      return packBf16(values);
    case 'u32':
      return Uint32Array.from(values);
    case 'i32':
      return Int32Array.from(values);
    case 'f16':
      return Uint16Array.from(values, f32ToF16);
    case 'q4':
    case 'q8':
      throw new Error(`[upload] ${dtype} weights are made by quantizedTensor (runtime/quant_tensor.ts)`);
  }
}

/** Create a tensor and write host values into it. */
export function tensorFromValues(gpu: Gpu, name: string, shape: readonly number[], dtype: DType, values: ArrayLike<number>, kind: Exclude<TensorKind, 'intermediate'> = 'weight'): Tensor {
  if (values.length !== numel(shape)) throw new Error(`[upload] ${name} ${formatShape(shape)} needs ${numel(shape)} values, got ${values.length}`);
  const t = createTensor(gpu, name, shape, dtype, kind);
  writeTensor(gpu, t, encodeValues(dtype, values));
  return t;
}

export function writeTensor(gpu: Gpu, t: Tensor, data: ArrayBufferView): void {
  if (!t.storage) throw new Error(`[upload] ${t.name} has no storage`);
  const padded = data.byteLength % 4 === 0 ? data : padTo4(data);
  gpu.device.queue.writeBuffer(t.storage.buffer, t.storage.offset, padded.buffer, padded.byteOffset, padded.byteLength);
}

function padTo4(data: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return out;
}

/** Copy a GPU range back to the host. */
export async function readRange(gpu: Gpu, range: { buffer: GPUBuffer; offset: number; size: number }): Promise<ArrayBuffer> {
  const size = Math.ceil(range.size / 4) * 4;
  const staging = gpu.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = gpu.device.createCommandEncoder();
  encoder.copyBufferToBuffer(range.buffer, range.offset, staging, 0, size);
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, range.size);
  staging.destroy();
  return out;
}
