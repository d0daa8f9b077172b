import { defineKernel } from '../runtime/kernel.js';

/** Scatter new k/v rows into their paged-cache slots; one invocation per vec4. */
export const kvAppendKernel = defineKernel({ name: 'kv_append' });
