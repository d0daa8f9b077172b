import { defineKernel } from '../runtime/kernel.js';

/** kernels/linear_coalesced.wgsl reduced with subgroupAdd: only for devices with the `subgroups` feature. */
export const linearCoalescedSgKernel = defineKernel({ name: 'linear_coalesced_sg', requires: ['subgroups' as GPUFeatureName] });
