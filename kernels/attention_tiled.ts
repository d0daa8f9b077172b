import { defineKernel } from '../runtime/kernel.js';

/**
 * Flash-style prefill attention for GPUs: one workgroup per (sequence, head, BQ query rows), Q tile and streamed
 * K/V tiles in workgroup memory (≤ 16 KiB), ≤ 2 × 16 accumulators per invocation, causal tiles above the diagonal
 * skipped. Same op, bindings and params as kernels/attention.wgsl.
 */
export const attentionTiledKernel = defineKernel({ name: 'attention_tiled' });
