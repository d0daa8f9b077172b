import { defineKernel } from '../runtime/kernel.js';

/** Paged decode attention, one query row per sequence; optional split-K partials (SPLIT). */
export const attentionDecodeKernel = defineKernel({ name: 'attention_decode' });
