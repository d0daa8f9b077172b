// The card's video path (`get_index`, `load_video`), SPEC §9.3: pick `numSegments` frame numbers
// spread evenly over the clip, then each frame becomes exactly one 448x448 tile (max_num = 1).
import { normalizeTiles } from './normalize.js';
import { type RgbImage } from './rgb_image.js';
import { dynamicPreprocess } from './tiling.js';

/** Python's round() / numpy.round on a float: to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f; // exact for |x| < 2^52
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * `get_index(bound, fps, max_frame, first_idx=0, num_segments=32)`. Without a bound the card uses
 * (-100000, 100000) seconds, i.e. the whole clip. `int()` truncates toward zero.
 */
export function getIndex(
  bound: readonly [startS: number, endS: number] | null,
  fps: number,
  maxFrame: number,
  firstIdx = 0,
  numSegments = 32,
): number[] {
  const [start, end] = bound ?? [-100000, 100000];
  const startIdx = Math.max(firstIdx, roundHalfEven(start * fps));
  const endIdx = Math.min(roundHalfEven(end * fps), maxFrame);
  const segSize = (endIdx - startIdx) / numSegments;
  const out: number[] = [];
  for (let k = 0; k < numSegments; k++) {
    out.push(Math.trunc(startIdx + segSize / 2 + roundHalfEven(segSize * k)) + 0); // + 0: no -0 (Python int)
  }
  return out;
}

export interface VideoPixels {
  /** `[frames, 3, 448, 448]`, C order: one tile per frame. */
  pixelValues: Float32Array;
  /** The card's `num_patches_list`: 1 per frame. */
  numPatchesList: number[];
}

/** `load_video` after decoding: each frame → dynamic_preprocess(max_num=1) → ToTensor/Normalize. */
export function videoPixels(frames: readonly RgbImage[]): VideoPixels {
  const tiles = frames.map((f) => dynamicPreprocess(f, { maxNum: 1, imageSize: 448, useThumbnail: true }).tiles[0]!);
  return { pixelValues: normalizeTiles(tiles), numPatchesList: frames.map(() => 1) };
}
