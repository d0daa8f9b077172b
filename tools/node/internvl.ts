// The package's Node entry, `import { InternVL, loadImage } from 'internvl-webgpu/node'`: everything the
// browser entry has, and importing it makes InternVL.load use Dawn and the Hugging Face cache on disk; adds
// image and video files.
import type { PixelValues } from '../../model/chat.js';
import { videoPrefix } from '../../model/conversation.js';
import type { RgbImage } from '../../model/image/rgb_image.js';
import { videoPixels } from '../../model/image/video.js';
import { setPlatform } from '../../model/platform.js';
import { decodeImageFile, nodeImageDecoder } from './decode_image.js';
import { loadVideoFrames } from './decode_video.js';
import { nodeGpu } from './gpu.js';
import { resolveModel } from './hf_cache.js';

setPlatform({ gpu: (options) => nodeGpu(options), resolve: (source, options) => resolveModel(source, options), images: nodeImageDecoder });

/** An image file decoded as PIL's Image.open(...).convert('RGB') would (no EXIF rotation, alpha dropped). */
export function loadImage(path: string): Promise<RgbImage> {
  return decodeImageFile(path);
}

export interface VideoInput {
  readonly pixelValues: PixelValues;
  readonly numPatchesList: number[];
  /** `Frame1: <image>\n…` to put before the question. */
  readonly prefix: string;
  readonly frameIndices: number[];
}

/** The card's load_video: `numSegments` frames by get_index (optionally within [start, end] seconds), one tile each. */
export async function loadVideo(path: string, numSegments = 8, bound: [number, number] | null = null): Promise<VideoInput> {
  const { frames, indices } = await loadVideoFrames(path, { numSegments, bound });
  const { pixelValues, numPatchesList } = videoPixels(frames);
  return { pixelValues: { data: pixelValues, tiles: frames.length }, numPatchesList, prefix: videoPrefix(frames.length), frameIndices: indices };
}

export * from '../../model/index.js';
export { decodeImageBytes } from './decode_image.js';
export { dirFiles } from './dir_files.js';
export { nodeGpu, profileFromEnv } from './gpu.js';
export { hfSettings, resolveModel, snapshotDownload, type ResolveOptions } from './hf_cache.js';
export { progressBar } from './progress_bar.js';
export { startServer, type RunningServer, type ServeOptions } from './server.js';
