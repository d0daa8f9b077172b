import { defineKernel } from '../runtime/kernel.js';

/** Argmax stage 2: reduce a row's chunk partials to the first index of the maximum; one workgroup per row. */
export const argmaxFinalKernel = defineKernel({ name: 'argmax_final' });
