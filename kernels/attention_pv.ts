import { defineKernel } from '../runtime/kernel.js';

/** Attention as GEMMs, second: softmax(scores)·v, the probabilities formed from the scores and stats as loaded. */
export const attentionPvKernel = defineKernel({ name: 'attention_pv', requires: ['subgroups' as GPUFeatureName] });
