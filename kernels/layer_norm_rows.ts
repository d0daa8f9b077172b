import { defineKernel } from '../runtime/kernel.js';

/** LayerNorm for CPU rasterisers: one row per 8-thread workgroup, sums by subgroupAdd, no barriers. */
export const layerNormRowsKernel = defineKernel({ name: 'layer_norm_rows', requires: ['subgroups' as GPUFeatureName] });
