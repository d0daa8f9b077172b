import { defineKernel } from '../runtime/kernel.js';

/** y = x·Wᵀ + b for many rows (prefill, ViT): register-blocked GEMM over bf16-packed weights. */
export const linearKernel = defineKernel({ name: 'linear' });
