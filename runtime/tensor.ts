// A tensor is metadata plus, once placed, a range of a GPU buffer. Contiguous, row-major, no strides:
// a reshape is free and a permutation is an explicit kernel.
import { type DType, storageBytes } from './dtype.js';

/** Where a tensor's bytes live. `offset` is in bytes and honours minStorageBufferOffsetAlignment. */
export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/**
 * weight: uploaded once, read-only. state: persistent and written by kernels (the KV cache pool).
 * input: written by the host before each run (token ids, positions, block tables).
 * intermediate: produced by an op; its storage is assigned by the planner.
 */
export type TensorKind = 'weight' | 'state' | 'input' | 'intermediate';

export interface Tensor {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly kind: TensorKind;
  /** Set for weights, state and inputs; intermediates get theirs from the planner. */
  readonly storage?: BufferRange;
  /** q4/q8 weights: the f16 scales [N, K/32], one per group of 32 codes along K (runtime/quant.ts). */
  readonly scales?: Tensor;
}

let nextId = 1;

export function makeTensor(name: string, shape: readonly number[], dtype: DType, kind: TensorKind, storage?: BufferRange, scales?: Tensor): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`[tensor ${name}] bad shape [${shape.join(', ')}]`);
  }
  return { id: nextId++, name, shape: [...shape], dtype, kind, ...(storage && { storage }), ...(scales && { scales }) };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function byteLength(t: Pick<Tensor, 'shape' | 'dtype'>): number {
  return storageBytes(t.dtype, numel(t.shape));
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A view of the same bytes with another shape (same element count). */
export function reshape(t: Tensor, shape: readonly number[], name = t.name): Tensor {
  if (numel(shape) !== numel(t.shape)) {
    throw new Error(`[reshape] ${t.name} ${formatShape(t.shape)} cannot become ${formatShape(shape)}`);
  }
  return { ...t, shape: [...shape], name };
}
