import { pixelShuffleKernel } from '../../kernels/pixel_shuffle.js';
import { type Graph, check, checkDtype } from '../graph.js';
import { pixelShuffle as pixelShuffleRef } from '../reference/data.js';
import { type Tensor, numel } from '../tensor.js';
import { valueOf } from './values.js';

const WG = 256; // kernels/pixel_shuffle.wgsl default

/**
 * vit_embeds[:, 1:] → pixel_shuffle(scale 0.5, ps_version v2). x [B·(1 + G²), C] or [B, 1 + G², C] f32 (CLS first
 * per tile) → [B·(G/2)², 4C] or [B, (G/2)², 4C] (same rank as x). Output token t = (G/2)·i + j, channel
 * dy·2C + dx·C + c from patch (2i + dy, 2j + dx) (SPEC §4).
 */
export function pixelShuffle(g: Graph, x: Tensor, batch: number, grid: number, name: string): Tensor {
  checkDtype('pixel_shuffle', x, ['f32']);
  const channels = x.shape.at(-1) ?? 0;
  check(grid > 0 && grid % 2 === 0, 'pixel_shuffle', `grid ${grid} must be even`, x);
  const rowsOk = x.shape.length === 2 ? x.shape[0] === batch * (1 + grid * grid) : x.shape.length === 3 && x.shape[0] === batch && x.shape[1] === 1 + grid * grid;
  check(rowsOk && channels > 0, 'pixel_shuffle', `x must be [B·(1 + G²), C] or [B, 1 + G², C] with B = ${batch}, G = ${grid}`, x);
  const tokens = (grid / 2) ** 2;
  const y = g.tensor(name, x.shape.length === 2 ? [batch * tokens, 4 * channels] : [batch, tokens, 4 * channels]);
  const n = numel(y.shape);
  g.add({
    op: 'pixel_shuffle',
    name,
    inputs: [x],
    outputs: [y],
    dispatches: n > 0 ? [{ kernel: pixelShuffleKernel, bindings: { x, y }, params: { batch, grid, channels }, grid: [Math.ceil(n / WG), 1, 1] }] : [],
    cost: { flops: 0, bytes: 8 * n },
    reference: (env) => env.set(y.id, pixelShuffleRef(valueOf(env, x), batch, grid, channels)),
  });
  return y;
}
