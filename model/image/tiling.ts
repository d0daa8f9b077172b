// Dynamic tiling of the model card (`dynamic_preprocess`, `find_closest_aspect_ratio`), SPEC §9.1.
// Grid = (cols, rows); tiles are row-major, then a 448x448 thumbnail of the whole image when the
// grid has more than one tile.
import { pilResizeBicubic } from './pil_resize.js';
import { pySetOrder } from './py_set_order.js';
import { cropRgb, type RgbImage } from './rgb_image.js';

export type Grid = [cols: number, rows: number];

export interface TilingOptions {
  minNum?: number;
  maxNum?: number;
  imageSize?: number;
  useThumbnail?: boolean;
}

/**
 * Candidate grids: `sorted(set((i, j) for n in range(min, max+1) for i in 1..n for j in 1..n
 * if min <= i*j <= max), key=i*j)`, in CPython's order (stable sort over the set's order).
 */
export function targetRatios(minNum: number, maxNum: number): Grid[] {
  function* candidates(): Generator<[number, number]> {
    for (let n = minNum; n <= maxNum; n++) {
      for (let i = 1; i <= n; i++) {
        for (let j = 1; j <= n; j++) if (i * j <= maxNum && i * j >= minNum) yield [i, j];
      }
    }
  }
  // Array.prototype.sort is stable (ES2019), like Python's sorted.
  return pySetOrder(candidates()).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
}

/**
 * First closest i/j to `aspect`; on an exact float tie a later candidate wins only when the image
 * area exceeds half the candidate's pixel area (the card's rule, equality on purpose).
 */
export function findClosestAspectRatio(
  aspect: number,
  ratios: readonly Grid[],
  width: number,
  height: number,
  imageSize: number,
): Grid {
  let bestDiff = Infinity;
  let best: Grid = [1, 1];
  const area = width * height;
  for (const r of ratios) {
    const diff = Math.abs(aspect - r[0] / r[1]);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = r;
    } else if (diff === bestDiff && area > 0.5 * imageSize * imageSize * r[0] * r[1]) {
      best = r;
    }
  }
  return best;
}

export function dynamicPreprocess(img: RgbImage, options: TilingOptions = {}): { tiles: RgbImage[]; grid: Grid } {
  const { minNum = 1, maxNum = 12, imageSize = 448, useThumbnail = true } = options;
  if (!(minNum >= 1 && maxNum >= minNum)) {
    throw new Error(`[dynamicPreprocess] need 1 <= minNum <= maxNum, got ${minNum}, ${maxNum}`);
  }
  const grid = findClosestAspectRatio(
    img.width / img.height, targetRatios(minNum, maxNum), img.width, img.height, imageSize,
  );
  const [cols, rows] = grid;
  const resized = pilResizeBicubic(img, imageSize * cols, imageSize * rows);
  if (cols * rows === 1) return { tiles: [resized], grid: [1, 1] }; // the resize is the tile; no thumbnail
  const tiles: RgbImage[] = [];
  for (let k = 0; k < cols * rows; k++) {
    tiles.push(cropRgb(resized, (k % cols) * imageSize, Math.floor(k / cols) * imageSize, imageSize, imageSize));
  }
  if (useThumbnail && tiles.length !== 1) tiles.push(pilResizeBicubic(img, imageSize, imageSize));
  return { tiles, grid: [cols, rows] };
}
