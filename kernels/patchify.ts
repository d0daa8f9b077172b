import { defineKernel } from '../runtime/kernel.js';

/** Image → non-overlapping p×p patches in conv-weight column order (conv as linear); one thread per element. */
export const patchifyKernel = defineKernel({ name: 'patchify' });
