import { defineKernel } from '../runtime/kernel.js';

/** Decode SwiGLU (M ≤ 8, K % 8 == 0) as kernels/linear_vec_swiglu.wgsl, with x loaded once per subgroup and shared
 *  by subgroupShuffle, and the RMSNorm prologue in registers. */
export const linearVecSwigluShuffleKernel = defineKernel({ name: 'linear_vec_swiglu_shuffle', requires: ['subgroups' as GPUFeatureName] });
