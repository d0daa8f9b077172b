import { defineKernel } from '../runtime/kernel.js';

/** Sampling stage 2: four sorted candidate lists of 256 → the top 256 of their union, sorted. */
export const sampleMergeKernel = defineKernel({ name: 'sample_merge' });
