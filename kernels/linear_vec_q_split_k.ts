import { defineKernel } from '../runtime/kernel.js';

/** kernels/linear_vec_q_split_k.wgsl: the quantized decode GEMV with each row's K split across a subgroup's lanes. */
export const linearVecQSplitKKernel = defineKernel({ name: 'linear_vec_q_split_k', requires: ['subgroups' as GPUFeatureName] });
