import { defineKernel } from '../runtime/kernel.js';

/** Adds linear_tiled's split-K partials [S, M, N] (plus the bias) into y. */
export const linearSplitkSumKernel = defineKernel({ name: 'linear_splitk_sum' });
