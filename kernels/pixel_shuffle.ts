import { defineKernel } from '../runtime/kernel.js';

/** Pixel shuffle v2 (2×2 blocks → 4C channels) with the CLS token dropped; one thread per element. */
export const pixelShuffleKernel = defineKernel({ name: 'pixel_shuffle' });
