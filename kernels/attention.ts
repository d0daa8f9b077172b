import { defineKernel } from '../runtime/kernel.js';

/** Flash-style prefill attention over column views of q/k/v; one invocation per ROWS query rows of one head. */
export const attentionKernel = defineKernel({ name: 'attention' });
