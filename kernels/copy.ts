import { defineKernel } from '../runtime/kernel.js';

/** Word copy between tensors at element offsets: row slices and writes into persistent buffers. */
export const copyKernel = defineKernel({ name: 'copy' });
