import { defineKernel } from '../runtime/kernel.js';

/** Decode GEMV for GPUs (M ≤ 8): a workgroup per few weight rows, coalesced loads, workgroup-memory reduction. */
export const linearCoalescedKernel = defineKernel({ name: 'linear_coalesced' });
