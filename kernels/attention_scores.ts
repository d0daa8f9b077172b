import { defineKernel } from '../runtime/kernel.js';

/** Attention as GEMMs, first: scale·q·kᵀ per (sequence, head) into a scores buffer; q shared by subgroupShuffle. */
export const attentionScoresKernel = defineKernel({ name: 'attention_scores', requires: ['subgroups' as GPUFeatureName] });
