import { defineKernel } from '../runtime/kernel.js';

/** Residual add x + f, or x + ls ⊙ f with the InternViT layer scale (override HAS_SCALE). */
export const residualKernel = defineKernel({ name: 'residual' });
