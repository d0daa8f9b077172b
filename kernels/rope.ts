import { defineKernel } from '../runtime/kernel.js';

/** Half-split RoPE with positions from a u32 buffer and host-computed f32 inv_freq; one thread per pair. */
export const ropeKernel = defineKernel({ name: 'rope' });
