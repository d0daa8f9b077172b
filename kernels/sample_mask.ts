import { defineKernel } from '../runtime/kernel.js';

/** Repetition-penalty membership bitmap per row from the previously seen token ids; one workgroup per row. */
export const sampleMaskKernel = defineKernel({ name: 'sample_mask' });
