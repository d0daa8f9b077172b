// Quantized weights on the GPU: a q4/q8 tensor [N, K] whose storage holds the codes, with its f16 scales
// [N, K/32] as a tensor of their own (Tensor.scales). Browser-safe.
import type { Gpu } from './device.js';
import { type QuantFormat, type QuantizedWeight, QUANT_GROUP } from './quant.js';
import { type Tensor, makeTensor } from './tensor.js';
import { createTensor, writeTensor } from './upload.js';

export function isQuantized(t: Tensor): t is Tensor & { readonly dtype: QuantFormat; readonly scales: Tensor } {
  return (t.dtype === 'q4' || t.dtype === 'q8') && t.scales !== undefined;
}

/** The kernels' QBITS override: 16 for bf16 weights, 4 or 8 for q4/q8. */
export function quantBits(w: Tensor): number {
  return w.dtype === 'q4' ? 4 : w.dtype === 'q8' ? 8 : 16;
}

/** Empty buffers for a quantized weight [rows, cols] (cols % 32 == 0): the codes tensor with its scales. */
export function createQuantizedTensor(gpu: Gpu, name: string, format: QuantFormat, rows: number, cols: number): Tensor {
  if (cols % QUANT_GROUP !== 0) throw new Error(`[quant] ${name}: ${cols} columns are not a multiple of ${QUANT_GROUP}`);
  const scales = createTensor(gpu, `${name}.scales`, [rows, cols / QUANT_GROUP], 'f16', 'weight');
  const codes = createTensor(gpu, name, [rows, cols], format, 'weight');
  return withScales(codes, scales);
}

/** A codes tensor joined with its scales tensor. */
export function withScales(codes: Tensor, scales: Tensor): Tensor {
  return makeTensor(codes.name, codes.shape, codes.dtype, codes.kind, codes.storage, scales);
}

/** Uploads a host-quantized weight (runtime/quant.ts quantize). */
export function quantizedTensor(gpu: Gpu, name: string, q: QuantizedWeight): Tensor {
  const t = createQuantizedTensor(gpu, name, q.format, q.rows, q.cols);
  writeTensor(gpu, t, q.qweight);
  writeTensor(gpu, t.scales!, q.scales);
  return t;
}

/** Frees both buffers of a weight (the scales too, for a quantized one). */
export function destroyWeight(t: Tensor): void {
  t.storage?.buffer.destroy();
  t.scales?.storage?.buffer.destroy();
}
