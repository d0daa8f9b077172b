// InternViT-300M (modeling_intern_vit.py): patch embedding, CLS + position embedding, pre-LN encoder layers
// with layer scale, no final norm. Dims come from vision_config only.
//
// Legend: B tiles, S image side (448), p patch (14), G = S/p patch grid (32), N = G² + 1 tokens (1025),
// D hidden (1024), Hh heads (16), Dh head dim (64), F mlp (4096).
import type { VisionConfig } from '../loader/config.js';
import type { Graph } from '../runtime/graph.js';
import { attention } from '../runtime/ops/attention.js';
import { layerNorm } from '../runtime/ops/layer_norm.js';
import { linear } from '../runtime/ops/linear.js';
import { patchify, vitEmbedAssemble } from '../runtime/ops/vit_embeddings.js';
import { type Tensor, reshape } from '../runtime/tensor.js';
import type { VisionWeights, VitLayer } from './weights.js';

/** InternVisionEmbeddings.forward: conv(stride p) as patchify + linear, prepend CLS, add position embedding. */
export function embeddings(g: Graph, w: VisionWeights['embeddings'], c: VisionConfig, pixels: Tensor, imageSize: number): Tensor {
  const B = pixels.shape[0]!;
  const p = c.patch_size;
  const grid = imageSize / p;
  const storedGrid = Math.round(Math.sqrt(w.position_embedding.shape[1]! - 1));
  // _get_pos_embed resizes the stored 32×32 grid bicubically to the patch grid; at the trained size it is the identity.
  if (grid !== storedGrid) throw new Error(`[vision] image size ${imageSize} gives a ${grid}×${grid} patch grid; position_embedding holds ${storedGrid}×${storedGrid} (interpolation is not implemented)`);
  const patches = patchify(g, pixels, p, 'vision.patches'); // [B·G², 3·p·p]
  const convWeight = reshape(w.patch_embedding.weight, [c.hidden_size, c.num_channels * p * p]);
  const patchOut = linear(g, patches, convWeight, w.patch_embedding.bias, 'vision.patch_embedding'); // [B·G², D]
  return vitEmbedAssemble(g, patchOut, w.class_embedding, w.position_embedding, B, 'vision.embeddings'); // [B, N, D]
}

/**
 * InternAttention._naive_attn: fused qkv, softmax(q·kᵀ·Dh^-0.5)·v over the tile's N tokens, proj; proj's store
 * adds the branch to the residual stream h scaled by ls1 (the encoder layer's `h + ls1·attn(…)`).
 */
function attn(g: Graph, w: VitLayer['attn'], c: VisionConfig, x: Tensor, B: number, h: Tensor, ls1: Tensor, name: string, out: string): Tensor {
  const D = c.hidden_size;
  const heads = c.num_attention_heads;
  const headDim = D / heads;
  const qkv = linear(g, x, w.qkv.weight, w.qkv.bias, `${name}.qkv`); // [B·N, 3D], channel = which·D + head·Dh + d
  const o = attention(
    g,
    { tensor: qkv, offset: 0, stride: 3 * D },
    { tensor: qkv, offset: D, stride: 3 * D },
    { tensor: qkv, offset: 2 * D, stride: 3 * D },
    { heads, kvHeads: heads, headDim, causal: false, scale: headDim ** -0.5, numSeqs: B },
    `${name}.core`,
  ); // [B·N, D]
  return linear(g, o, w.proj.weight, w.proj.bias, out, { residual: h, layerScale: ls1 });
}

/** InternMLP: fc1 → exact GELU (fused into fc1's store) → fc2, whose store adds h + ls2·(…) as attn's proj does. */
function mlp(g: Graph, w: VitLayer['mlp'], x: Tensor, h: Tensor, ls2: Tensor, name: string, out: string): Tensor {
  const a = linear(g, x, w.fc1.weight, w.fc1.bias, `${name}.act`, { activation: 'gelu' }); // [B·N, F]
  return linear(g, a, w.fc2.weight, w.fc2.bias, out, { residual: h, layerScale: ls2 });
}

/** InternVisionEncoderLayer.forward: h = h + ls1·attn(norm1(h)); h = h + ls2·mlp(norm2(h)). */
export function encoderLayer(g: Graph, w: VitLayer, c: VisionConfig, h: Tensor, B: number, name: string): Tensor {
  const eps = c.layer_norm_eps;
  h = attn(g, w.attn, c, layerNorm(g, h, w.norm1.weight, w.norm1.bias!, eps, `${name}.norm1`), B, h, w.ls1, `${name}.attn`, `${name}.res1`);
  return mlp(g, w.mlp, layerNorm(g, h, w.norm2.weight, w.norm2.bias!, eps, `${name}.norm2`), h, w.ls2, `${name}.mlp`, name);
}

/**
 * InternVisionModel.forward with select_layer −1: the last layer's hidden states (no final norm), CLS included.
 * pixels [B, 3, S, S] → [B·N, D], named `vision.layers.{i}` per layer.
 */
export function visionModel(g: Graph, w: VisionWeights, c: VisionConfig, pixels: Tensor, imageSize: number): Tensor {
  const B = pixels.shape[0]!;
  const emb = embeddings(g, w.embeddings, c, pixels, imageSize); // [B, N, D]
  let h = reshape(emb, [emb.shape[0]! * emb.shape[1]!, c.hidden_size]);
  w.encoder.layers.forEach((layer, i) => {
    h = encoderLayer(g, layer, c, h, B, `vision.layers.${i}`);
  });
  return h;
}
