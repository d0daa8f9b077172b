import { defineKernel } from '../runtime/kernel.js';

/**
 * Flash-style prefill attention for CPU adapters (lavapipe): 8 query rows per invocation held as vec4-over-rows,
 * keys in blocks of 8 (one online-softmax rescale per block), workgroup-uniform key loop so K/V loads are scalar
 * + broadcast. Same op, bindings and params as kernels/attention.wgsl.
 */
export const attentionBlockedKernel = defineKernel({ name: 'attention_blocked' });
