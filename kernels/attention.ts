import { defineKernel } from '../runtime/kernel.js';

/** Flash-style prefill attention over column views of q/k/v; one invocation per ROWS query rows of one head. */
export const attentionKernel = defineKernel({ name: 'attention' });

/**
 * The same op for CPU adapters (lavapipe): 8 query rows per invocation held as vec4-over-rows, keys in blocks of
 * 8 (one online-softmax rescale per block), workgroup-uniform key loop so K/V loads are scalar + broadcast.
 */
export const attentionBlockedKernel = defineKernel({ name: 'attention_blocked' });
