// InternVisionEmbeddings as two data-movement ops around a linear (runtime/ops/linear.ts):
//   patches = patchify(pixels)                       [B·G², C·p²]
//   patchOut = linear(patches, W [D, C·p²], bias)    [B·G², D]   (the conv with W = patch_embedding.weight viewed 2-D)
//   y = vitEmbedAssemble(patchOut, cls, pos)         [B, G² + 1, D]
import { patchifyKernel } from '../../kernels/patchify.js';
import { vitEmbedAssembleKernel } from '../../kernels/vit_embed_assemble.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { patchify as patchifyRef, vitEmbedAssemble as vitEmbedAssembleRef } from '../reference/data.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // default of both kernels

/** Non-overlapping p×p patches: pixels [B, C, S, S] f32 → [B·(S/p)², C·p·p] in (c, ky, kx) column order. */
export function patchify(g: Graph, pixels: Tensor, patch: number, name: string): Tensor {
  check(pixels.shape.length === 4 && pixels.shape[2] === pixels.shape[3], 'patchify', 'pixels must be [B, C, S, S]', pixels);
  checkDtype('patchify', pixels, ['f32']);
  const [batch, channels, size] = pixels.shape as [number, number, number];
  check(Number.isInteger(patch) && patch > 0 && size % patch === 0, 'patchify', `image size must be a multiple of the patch size ${patch}`, pixels);
  const grid = size / patch;
  const y = g.tensor(name, [batch * grid * grid, channels * patch * patch]);
  const n = numel(y.shape);
  g.add({
    op: 'patchify',
    name,
    inputs: [pixels],
    outputs: [y],
    dispatches: n > 0 ? [{ kernel: patchifyKernel, bindings: { pixels, patches: y }, params: { batch, channels, size, patch_size: patch }, grid: [Math.ceil(n / WG), 1, 1] }] : [],
    cost: { flops: 0, bytes: 8 * n },
    reference: (env) => env.set(y.id, patchifyRef(valueOf(env, pixels), batch, channels, size, patch)),
  });
  return y;
}

/**
 * out[b, 0] = cls + pos[0]; out[b, 1 + t] = patches[b, t] + pos[1 + t].
 * patches [B·N, D] or [B, N, D], cls D values ([1, 1, D] or [D]), pos (N + 1)·D values ([1, N + 1, D] or [N + 1, D]),
 * all f32 → [B, N + 1, D].
 */
export function vitEmbedAssemble(g: Graph, patches: Tensor, cls: Tensor, pos: Tensor, batch: number, name: string): Tensor {
  const dim = patches.shape.at(-1) ?? 0;
  check(batch > 0 && dim > 0 && numel(patches.shape) % (batch * dim) === 0, 'vit_embed_assemble', `patches must be [B·N, D] or [B, N, D] with B = ${batch}`, patches);
  const tokens = numel(patches.shape) / (batch * dim);
  check(numel(cls.shape) === dim && cls.shape.at(-1) === dim, 'vit_embed_assemble', 'class_embedding must hold D values', patches, cls);
  check(numel(pos.shape) === (tokens + 1) * dim && pos.shape.at(-1) === dim, 'vit_embed_assemble', 'position_embedding must be [(1,) N + 1, D]', patches, pos);
  for (const t of [patches, cls, pos]) checkDtype('vit_embed_assemble', t, ['f32']);
  const y = g.tensor(name, [batch, tokens + 1, dim]);
  const n = numel(y.shape);
  g.add({
    op: 'vit_embed_assemble',
    name,
    inputs: [patches, cls, pos],
    outputs: [y],
    dispatches: [{ kernel: vitEmbedAssembleKernel, bindings: { patches, cls, pos, y }, params: { batch, tokens, dim }, grid: [Math.ceil(n / WG), 1, 1] }],
    cost: { flops: n, bytes: 4 * (2 * n + (tokens + 1) * dim) },
    reference: (env) => env.set(y.id, vitEmbedAssembleRef(valueOf(env, patches), valueOf(env, cls), valueOf(env, pos), batch, tokens, dim)),
  });
  return y;
}
