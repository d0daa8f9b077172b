import { defineKernel } from '../runtime/kernel.js';

/** Merges attention_decode's split-K partials (max, sum, accumulator) into the output rows. */
export const attentionDecodeCombineKernel = defineKernel({ name: 'attention_decode_combine' });
