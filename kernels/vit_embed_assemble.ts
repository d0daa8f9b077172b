import { defineKernel } from '../runtime/kernel.js';

/** CLS + patch embeddings + position embedding → [B, N+1, D]; one thread per element. */
export const vitEmbedAssembleKernel = defineKernel({ name: 'vit_embed_assemble' });
