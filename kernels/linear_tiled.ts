import { defineKernel } from '../runtime/kernel.js';

/** y = x·Wᵀ + b for GPUs: workgroup-memory tiled GEMM over bf16-packed weights, optionally one split-K chunk. */
export const linearTiledKernel = defineKernel({ name: 'linear_tiled' });
