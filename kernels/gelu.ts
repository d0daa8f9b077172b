import { defineKernel } from '../runtime/kernel.js';

/** Exact (erf) GELU, elementwise; one thread per element. */
export const geluKernel = defineKernel({ name: 'gelu' });
