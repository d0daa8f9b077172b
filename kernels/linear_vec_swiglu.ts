import { defineKernel } from '../runtime/kernel.js';

/** Decode SwiGLU: gate and up GEMVs and silu(gate)·up in one dispatch (M ≤ 8, K % 8 == 0). */
export const linearVecSwigluKernel = defineKernel({ name: 'linear_vec_swiglu' });
