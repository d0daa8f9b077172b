import { defineKernel } from '../runtime/kernel.js';

/** Sampling stage 1: penalised logits of a 1024-chunk sorted, its top 256 (key, index) and its softmax partials. */
export const sampleChunkKernel = defineKernel({ name: 'sample_chunk' });
