import { defineKernel } from '../runtime/kernel.js';

/** Argmax stage 1: best (value key, first index) per chunk of a row; grid [n_chunks, rows]. */
export const argmaxPartialKernel = defineKernel({ name: 'argmax_partial' });
