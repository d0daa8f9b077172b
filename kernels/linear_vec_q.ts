import { defineKernel } from '../runtime/kernel.js';

/** Decode GEMV (M ≤ 8, K % 32 == 0) over q4/q8 weights, with the bias, residual, RMSNorm and SwiGLU epilogues. */
export const linearVecQKernel = defineKernel({ name: 'linear_vec_q' });
