import { defineKernel } from '../runtime/kernel.js';

/** RoPE on q and k + paged KV-cache append of k and v, one dispatch (optionally also the rotated k). */
export const ropeAppendKernel = defineKernel({ name: 'rope_append' });
