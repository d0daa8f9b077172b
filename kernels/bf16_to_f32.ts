import { defineKernel } from '../runtime/kernel.js';

/** Widen bf16 (packed two per u32) to f32; used once at load for vectors the kernels read as f32. */
export const bf16ToF32Kernel = defineKernel({ name: 'bf16_to_f32' });
