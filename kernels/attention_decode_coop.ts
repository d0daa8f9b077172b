import { defineKernel } from '../runtime/kernel.js';

/** Paged decode attention, one workgroup per (sequence, kv head, split) sharing each K/V row across the GQA group. */
export const attentionDecodeCoopKernel = defineKernel({ name: 'attention_decode_coop' });
