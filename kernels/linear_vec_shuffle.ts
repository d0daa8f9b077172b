import { defineKernel } from '../runtime/kernel.js';

/** Decode GEMV (M ≤ 8, K % 8 == 0) as kernels/linear_vec.wgsl, with x loaded once per subgroup and shared by
 *  subgroupShuffle, and the RMSNorm prologue in registers. */
export const linearVecShuffleKernel = defineKernel({ name: 'linear_vec_shuffle', requires: ['subgroups' as GPUFeatureName] });
