import { defineKernel } from '../runtime/kernel.js';

/** y = x with listed rows replaced by src rows (copy pass, then scatter pass: override SCATTER). */
export const scatterRowsKernel = defineKernel({ name: 'scatter_rows' });
