// InternVLChatModel.pixel_shuffle (ps_version v2) and mlp1 (modeling_internvl_chat.py): every 2×2 block of
// patch tokens becomes one 4D-channel token, then LayerNorm(4D) → Linear(4D→H) → GELU → Linear(H→H).
//
// Legend: B tiles, G patch grid (32), D vision hidden, H LLM hidden; 256 = (G/2)² tokens per tile.
import type { Graph } from '../runtime/graph.js';
import { layerNorm } from '../runtime/ops/layer_norm.js';
import { linear } from '../runtime/ops/linear.js';
import { pixelShuffle } from '../runtime/ops/pixel_shuffle.js';
import type { Tensor } from '../runtime/tensor.js';
import type { Mlp1 } from './weights.js';

/** nn.LayerNorm default eps: mlp1.0 is built without an explicit eps. */
export const MLP1_LAYER_NORM_EPS = 1e-5;

/**
 * vit_embeds[:, 1:] → pixel_shuffle(scale 0.5) → mlp1. x [B·(G²+1), D] (CLS first per tile) → [B·(G/2)², H],
 * named `projector.pixel_shuffle` and `projector.out`.
 *
 *   x = x.view(n, w, h * scale, c / scale); x = x.permute(0, 2, 1, 3)
 *   x = x.view(n, h * scale, w * scale, c / (scale * scale)); x = x.permute(0, 2, 1, 3)   # v2
 */
export function projector(g: Graph, w: Mlp1, x: Tensor, B: number, grid: number): Tensor {
  const shuffled = pixelShuffle(g, x, B, grid, 'projector.pixel_shuffle'); // [B·(G/2)², 4D]
  const n = layerNorm(g, shuffled, w['0'].weight, w['0'].bias!, MLP1_LAYER_NORM_EPS, 'projector.norm');
  const h = linear(g, n, w['1'].weight, w['1'].bias, 'projector.act', { activation: 'gelu' }); // mlp1[1] → mlp1[2]
  return linear(g, h, w['3'].weight, w['3'].bias, 'projector.out');
}
