// Running InternViT + projector over a request's tiles. Tiles go through in groups sized so that the widest
// intermediate (the fc1 output, [B·N, F] f32) fits one storage binding (lavapipe: 128 MiB → 7 tiles); each
// group's projector output is copied into one persistent feature tensor that the LLM prefill then reads.
import { numImageToken, patchGrid } from '../loader/config.js';
import type { Gpu } from '../runtime/device.js';
import { Graph } from '../runtime/graph.js';
import { copyRows } from '../runtime/ops/cast_copy.js';
import { compilePlan } from '../runtime/plan.js';
import type { WaitStats } from '../runtime/wait.js';
import { type Tensor, makeTensor } from '../runtime/tensor.js';
import { createTensor } from '../runtime/upload.js';
import { visionModel } from './intern_vit.js';
import type { LoadedModel } from './load.js';
import { projector } from './projector.js';

/** Tiles per pass such that [B·N, max(F, 3D)] f32 fits one binding. */
export function tilesPerPass(gpu: Gpu, m: Pick<LoadedModel, 'config'>, requested?: number): number {
  const v = m.config.vision_config;
  const grid = patchGrid(m.config);
  const tokens = grid * grid + 1;
  const widest = Math.max(v.intermediate_size, 3 * v.hidden_size, 4 * v.hidden_size) * tokens * 4;
  const fit = Math.max(1, Math.floor(gpu.limits.maxStorageBufferBindingSize / widest));
  return Math.max(1, Math.min(fit, requested ?? fit));
}

export interface VisionResult {
  /** f32 [tiles · numImageToken, llm hidden], persistent until destroyed by the caller. */
  readonly features: Tensor;
  readonly gpuMs: number;
  /** Named intermediates read back per group (parity), concatenated along tiles. */
  readonly captures: Map<string, Float32Array>;
}

export interface VisionOptions {
  /** Tensor names to read back (e.g. 'vision.layers.0', 'projector.out'). */
  readonly capture?: readonly string[];
  readonly tilesPerPass?: number;
  /** Checked before each group of tiles; an aborted pass frees what it made and throws the reason. */
  readonly signal?: AbortSignal;
}

/** Learnt GPU time of a vision pass per (model, tiles per pass), so per-request plans sleep instead of polling. */
const visionWaits = new WeakMap<LoadedModel, Map<number, WaitStats>>();

function visionWait(m: LoadedModel, tiles: number): WaitStats {
  let perModel = visionWaits.get(m);
  if (!perModel) visionWaits.set(m, (perModel = new Map()));
  let w = perModel.get(tiles);
  if (!w) perModel.set(tiles, (w = { expectedMs: 0 }));
  return w;
}

/** pixels: f32 [tiles, 3, S, S] in C order (model/image/normalize.ts). */
export async function encodeImages(m: LoadedModel, pixels: Float32Array, tiles: number, options: VisionOptions = {}): Promise<VisionResult> {
  const { gpu, config, weights } = m;
  const S = config.force_image_size;
  const perTile = 3 * S * S;
  if (pixels.length !== tiles * perTile) throw new Error(`[vision] pixel values hold ${pixels.length} floats; ${tiles} tiles of 3×${S}×${S} need ${tiles * perTile}`);
  const tokensPerTile = numImageToken(config);
  const H = config.llm_config.hidden_size;
  const features = createTensor(gpu, 'image_features', [tiles * tokensPerTile, H], 'f32', 'state');
  const group = tilesPerPass(gpu, m, options.tilesPerPass);
  const captureParts = new Map<string, Float32Array[]>();
  let gpuMs = 0;
  try {
    for (let start = 0; start < tiles; start += group) {
      options.signal?.throwIfAborted();
      const B = Math.min(group, tiles - start);
      const g = new Graph(gpu.limits, gpu.profile);
      const input = createTensor(gpu, 'pixel_values', [B, 3, S, S], 'f32', 'input');
      const h = visionModel(g, weights.vision_model, config.vision_config, input, S);
      const out = projector(g, weights.mlp1, h, B, patchGrid(config));
      copyRows(g, out, 0, features, start * tokensPerTile, B * tokensPerTile, 'image_features.copy');
      const captured = (options.capture ?? []).map((n) => g.get(n));
      const plan = compilePlan(gpu, g, { keep: captured, label: `vision[${B}]`, wait: visionWait(m, B) });
      try {
        const t0 = performance.now();
        const read = await plan.run({ inputs: [[input, pixels.subarray(start * perTile, (start + B) * perTile)]], read: captured });
        gpuMs += performance.now() - t0;
        for (const t of captured) {
          const parts = captureParts.get(t.name) ?? [];
          parts.push(new Float32Array(read.get(t.name)!));
          captureParts.set(t.name, parts);
        }
      } finally {
        plan.destroy();
        input.storage!.buffer.destroy();
      }
    }
  } catch (e) {
    features.storage!.buffer.destroy();
    throw e;
  }
  const captures = new Map<string, Float32Array>();
  for (const [name, parts] of captureParts) {
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) all.set(p, (o += p.length) - p.length);
    captures.set(name, all);
  }
  return { features, gpuMs, captures };
}

/**
 * Views of `features` rows per prompt (same buffer, byte offsets, no copies): entry i covers numPatchesList[i]
 * tiles, in order; undefined for a prompt without tiles. Used by batch chat, where each question owns its tiles.
 */
export function featureViews(m: LoadedModel, features: Tensor, numPatchesList: readonly number[]): (Tensor | undefined)[] {
  const tokensPerTile = numImageToken(m.config);
  const width = features.shape[1]!;
  const rowBytes = width * 4;
  const align = m.gpu.limits.minStorageBufferOffsetAlignment;
  let row = 0;
  return numPatchesList.map((tiles, i) => {
    const rows = tiles * tokensPerTile;
    const offset = features.storage!.offset + row * rowBytes;
    row += rows;
    if (rows === 0) return undefined;
    if (offset % align !== 0) throw new Error(`[vision] image features of prompt ${i} start at byte ${offset}, not aligned to ${align}`);
    return makeTensor(`image_features.${i}`, [rows, width], 'f32', 'state', { buffer: features.storage!.buffer, offset, size: rows * rowBytes });
  });
}

/**
 * The rows of `features` from `first` on (a view, no copy), for a prompt whose first image tokens are in a reused
 * cache prefix; undefined when no row is left, or when the view would not start at a bindable offset (the caller
 * then prefills from an earlier block).
 */
export function featureRowsFrom(m: LoadedModel, features: Tensor, first: number): Tensor | undefined {
  const width = features.shape[1]!;
  const rows = features.shape[0]! - first;
  const offset = features.storage!.offset + first * width * 4;
  if (rows <= 0 || offset % m.gpu.limits.minStorageBufferOffsetAlignment !== 0) return undefined;
  return makeTensor('image_features.rest', [rows, width], 'f32', 'state', { buffer: features.storage!.buffer, offset, size: rows * width * 4 });
}
