import { defineKernel } from '../runtime/kernel.js';

/** y = x·Wᵀ + b for many rows on CPU rasterisers: linear.wgsl's tiling with x loaded once per row of threads and
 *  shared by subgroupShuffle, weights 4 bf16 per load. */
export const linearShuffleKernel = defineKernel({ name: 'linear_shuffle', requires: ['subgroups' as GPUFeatureName] });
