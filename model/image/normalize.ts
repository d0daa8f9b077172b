// The card's `build_transform` after tiling: ToTensor (uint8 / 255 → float32, HWC → CHW) then
// Normalize with the ImageNet mean/std, in float32 exactly as torch does it (SPEC §9.1 step 8).
// The card's final cast to bfloat16 is left to the caller. `loadImagePixels` is the card's `load_image`
// from an already decoded image.
import { type RgbImage } from './rgb_image.js';
import { dynamicPreprocess, type Grid } from './tiling.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

// torch holds mean/std as float32 tensors; every step below rounds to float32 like a float32 op.
// (One float64 op then Math.fround equals the float32 op for + - * /: 53 >= 2*24 + 2.)
const MEAN32 = IMAGENET_MEAN.map(Math.fround);
const STD32 = IMAGENET_STD.map(Math.fround);

/** value -> normalised float32, one table per channel (a uint8 has only 256 values). */
const LUT: Float32Array[] = [0, 1, 2].map((c) => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const x = Math.fround(v / 255);
    t[v] = Math.fround(Math.fround(x - MEAN32[c]!) / STD32[c]!);
  }
  return t;
});

/** Writes tiles as `[tiles, 3, H, W]` float32 (C order). All tiles must share one size. */
export function normalizeTiles(tiles: readonly RgbImage[]): Float32Array {
  if (tiles.length === 0) return new Float32Array(0);
  const { width, height } = tiles[0]!;
  const plane = width * height;
  const out = new Float32Array(tiles.length * 3 * plane);
  tiles.forEach((tile, t) => {
    if (tile.width !== width || tile.height !== height) {
      throw new Error(`[normalizeTiles] tile ${t} is ${tile.width}x${tile.height}, expected ${width}x${height}`);
    }
    for (let c = 0; c < 3; c++) {
      const lut = LUT[c]!;
      const base = (t * 3 + c) * plane;
      for (let p = 0; p < plane; p++) out[base + p] = lut[tile.data[p * 3 + c]!]!;
    }
  });
  return out;
}

export interface ImagePixels {
  /** `[numTiles, 3, 448, 448]`, C order. */
  pixelValues: Float32Array;
  numTiles: number;
  grid: Grid;
}

/** The card's `load_image(image_file, input_size=448, max_num)` after decoding. */
export function loadImagePixels(img: RgbImage, maxNum = 12): ImagePixels {
  const { tiles, grid } = dynamicPreprocess(img, { maxNum, imageSize: 448, useThumbnail: true });
  return { pixelValues: normalizeTiles(tiles), numTiles: tiles.length, grid };
}
