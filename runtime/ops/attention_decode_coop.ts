// The 'cooperative' lowering of attention_decode (kernels/attention_decode_coop.wgsl): one workgroup per
// (sequence, kv head, split) computes all query heads of the GQA group, so each K/V row is read once per group,
// and spreads the split's keys over its invocations instead of walking them in one invocation.
import { attentionDecodeCoopKernel } from '../../kernels/attention_decode_coop.js';
import type { DeviceProfile } from '../device_profile.js';
import type { Dispatch } from '../graph.js';
import type { Tensor } from '../tensor.js';
import type { AppendLowering } from './attention_decode_append.js';

/** Invocations per workgroup = keys per tile. */
export const COOP_WORKGROUP = 64;

/**
 * Keys per split. The decode graph is recorded for the model's maxContext (4096 by default), so the splits are
 * fixed and a sequence only fills the first ⌈len / 64⌉ of them. 64 keys (4 blocks of 16) is one tile of the
 * 64-invocation workgroup, so a split is one pass of scores → max → PV with no rescaling: batch 1 at 300 tokens
 * then gets 5 splits × 2 kv heads = 10 workgroups (6 with 128-key splits), batch 32 at 1000 tokens 1024. Smaller
 * splits would add workgroups whose fixed cost (q and block-table loads, the reductions, writing GROUP·Dh partials)
 * is as large as their work, and double the combine's reads; at a few hundred tokens the op is a handful of
 * memory round trips either way, and fewer serial steps per workgroup keep it short.
 */
export const COOP_KEYS_PER_SPLIT = 64;

/** Register arrays of the kernel hold at most this many query heads per kv head. */
const MAX_GROUP = 8;

export interface CoopShape {
  readonly numSeqs: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly blockSize: number;
  readonly maxBlocks: number;
  readonly chunk: number;
  readonly splits: number;
  readonly workgroupSize: number;
}

/** Bytes of workgroup memory the kernel declares (q, block tables, probabilities, maxima, accumulators, sums, new key). */
function workgroupBytes(s: CoopShape): number {
  const group = s.heads / s.kvHeads;
  const wg = s.workgroupSize;
  return 4 * (group * s.headDim + s.chunk / s.blockSize + group * wg + wg + 4 * group * wg + (group * wg) / (s.headDim / 4) + s.headDim);
}

/** Whether the kernel's limits hold for this shape on this device (else the op runs another variant). */
export function cooperativeFits(profile: DeviceProfile, s: CoopShape): boolean {
  const group = s.heads / s.kvHeads;
  const wg = s.workgroupSize;
  return (
    group <= MAX_GROUP &&
    group <= wg &&
    s.headDim % 4 === 0 &&
    wg % (s.headDim / 4) === 0 &&
    wg <= profile.maxInvocationsPerWorkgroup &&
    workgroupBytes(s) <= profile.workgroupStorageBytes
  );
}

export interface CoopBindings {
  readonly q: { readonly tensor: Tensor; readonly offset: number; readonly stride: number };
  readonly k: Tensor;
  readonly v: Tensor;
  /** The pools hold f16 (else f32). */
  readonly kvF16: boolean;
  readonly blockTables: Tensor;
  readonly seqLens: Tensor;
  /** [B, Hq·Dh] without splits, else the partials [B, Hq, splits, Dh] for attention_decode_combine. */
  readonly out: Tensor;
  /** (max, sum) [B, Hq, splits, 2] with splits, else a placeholder. */
  readonly ml: Tensor;
  /** The fused rope_append's bindings and params (dummies when off). */
  readonly append: AppendLowering;
}

export function cooperativeDispatch(s: CoopShape, t: CoopBindings, scale: number): Dispatch {
  return {
    kernel: attentionDecodeCoopKernel,
    constants: { HEAD_DIM: s.headDim, GROUP: s.heads / s.kvHeads, WG: s.workgroupSize, SPLIT_BLOCKS: s.chunk / s.blockSize, SPLIT: s.splits > 1, APPEND: !!t.append.append, KV_F16: t.kvF16 },
    bindings: { q: t.q.tensor, ...t.append.bindings, k_cache: t.k, v_cache: t.v, block_tables: t.blockTables, seq_lens: t.seqLens, out: t.out, ml: t.ml },
    params: {
      numSeqs: s.numSeqs,
      heads: s.heads,
      kvHeads: s.kvHeads,
      maxBlocks: s.maxBlocks,
      blockSize: s.blockSize,
      chunk: s.chunk,
      splits: s.splits,
      qOffset: t.q.offset,
      qStride: t.q.stride,
      ...t.append.params,
      scale,
    },
    grid: [s.numSeqs * s.kvHeads * s.splits, 1, 1],
  };
}
