import { defineKernel } from '../runtime/kernel.js';

/** Sampling stage 3: top-k, top-p and the draw over the row's sorted candidates (tail search past them). */
export const sampleFinalKernel = defineKernel({ name: 'sample_final' });
