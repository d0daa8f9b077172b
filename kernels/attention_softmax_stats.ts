import { defineKernel } from '../runtime/kernel.js';

/** Attention as GEMMs, between: each score row's max and Σ exp(s − max) (online, one invocation per row). */
export const attentionSoftmaxStatsKernel = defineKernel({ name: 'attention_softmax_stats' });
