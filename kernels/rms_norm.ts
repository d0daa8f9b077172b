import { defineKernel } from '../runtime/kernel.js';

/** RMSNorm over the last dimension; one workgroup per row. */
export const rmsNormKernel = defineKernel({ name: 'rms_norm' });
