import { defineKernel } from '../runtime/kernel.js';

/** SwiGLU silu(gate)·up, elementwise; one thread per element. */
export const siluMulKernel = defineKernel({ name: 'silu_mul' });
