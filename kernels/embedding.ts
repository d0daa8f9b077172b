import { defineKernel } from '../runtime/kernel.js';

/** Row gather from a bf16 table by u32 ids; one dispatch per row chunk of the table. */
export const embeddingKernel = defineKernel({ name: 'embedding' });
