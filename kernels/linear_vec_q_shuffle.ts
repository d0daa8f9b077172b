import { defineKernel } from '../runtime/kernel.js';

/** kernels/linear_vec_q.wgsl with x loaded once per subgroup and shared by subgroupShuffle. */
export const linearVecQShuffleKernel = defineKernel({ name: 'linear_vec_q_shuffle', requires: ['subgroups' as GPUFeatureName] });
