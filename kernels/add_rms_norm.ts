import { defineKernel } from '../runtime/kernel.js';

/** Residual add + RMSNorm over the last dimension (two outputs: the sum and its norm); one workgroup per row. */
export const addRmsNormKernel = defineKernel({ name: 'add_rms_norm' });
