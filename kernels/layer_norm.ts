import { defineKernel } from '../runtime/kernel.js';

/** LayerNorm (weight + bias) over the last dimension; one workgroup per row, two-pass mean/variance. */
export const layerNormKernel = defineKernel({ name: 'layer_norm' });
