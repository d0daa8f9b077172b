import { defineKernel } from '../runtime/kernel.js';

/** y = x·Wᵀ + b for a few rows (decode, M ≤ 8): vec4<u32> weight loads, several weight rows per invocation. */
export const linearVecKernel = defineKernel({ name: 'linear_vec' });
