// Turns the CLI's image/video options into a ChatRequest the way the model card builds its prompts.
//
// The card's placeholder rule: a prompt that holds `<image>` placeholders gets none added, and its placeholders are
// the slots, in order — one per image (one for all with --combine-images) and one per video frame. A prompt
// without placeholders gets the card's prefix: `<image>\n` for one image (or combined images), `Image-1: <image>\n…`
// for several, `Frame1: <image>\n…` for a video. Any other count of placeholders is an error.
//
// Media are decoded and the prompt checked before any weights are loaded, so bad input fails in milliseconds.
import { type ChatRequest, type InternVL, type PixelValues, concatPixelValues } from '../../model/chat.js';
import { IMAGE_PLACEHOLDER, multiImagePrefix, videoPrefix } from '../../model/conversation.js';
import type { RgbImage } from '../../model/image/rgb_image.js';
import { videoPixels } from '../../model/image/video.js';
import { loadImage } from '../node/internvl.js';
import { loadVideoFrames } from '../node/decode_video.js';

export interface MediaOptions {
  readonly images: readonly string[];
  readonly maxTiles?: number;
  readonly combineImages?: boolean;
  readonly video?: string;
  readonly frames?: number;
}

/** Decoded media, not yet tiled (tiling needs the model's max_dynamic_patch default). */
export interface Media {
  readonly options: MediaOptions;
  readonly images: readonly { readonly path: string; readonly image: RgbImage }[];
  readonly video?: { readonly path: string; readonly frames: RgbImage[]; readonly indices: number[] };
}

export async function readMedia(o: MediaOptions): Promise<Media> {
  const images = [];
  for (const path of o.images) images.push({ path, image: await loadImage(path) });
  if (o.video === undefined) return { options: o, images };
  const { frames, indices } = await loadVideoFrames(o.video, { numSegments: o.frames ?? 8 });
  return { options: o, images, video: { path: o.video, frames, indices } };
}

const countPlaceholders = (text: string) => text.split(IMAGE_PLACEHOLDER).length - 1;

/** `<image>` slots the media fill: one per image (one for all combined) and one per video frame. */
function slotCount(o: MediaOptions): number {
  const images = o.combineImages ? Math.min(o.images.length, 1) : o.images.length;
  return images + (o.video !== undefined ? (o.frames ?? 8) : 0);
}

/** Throws unless the question's placeholders fit the media (none, or exactly one per slot). */
export function checkPlaceholders(question: string, o: MediaOptions): void {
  const found = countPlaceholders(question);
  const slots = slotCount(o);
  if (found === 0 || found === slots) return;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const placeholders = `${plural(found, IMAGE_PLACEHOLDER + ' placeholder')}`;
  if (slots === 0) throw new Error(`the prompt has ${placeholders} but no --image or --video was given`);
  const what = [
    o.images.length && (o.combineImages ? `${plural(o.images.length, 'image')} combined (one ${IMAGE_PLACEHOLDER})` : plural(o.images.length, 'image')),
    o.video !== undefined && plural(o.frames ?? 8, 'video frame'),
  ].filter(Boolean).join(' and ');
  throw new Error(`the prompt has ${placeholders} for ${what}: write one ${IMAGE_PLACEHOLDER} per image and per frame, or none to have them added`);
}

/** Text put before a question that has no placeholders of its own. */
function prefix(media: Media): string {
  const n = media.images.length;
  let text = n === 0 ? '' : n === 1 || media.options.combineImages ? `${IMAGE_PLACEHOLDER}\n` : multiImagePrefix(n);
  if (media.video) text += videoPrefix(media.video.frames.length);
  return text;
}

export interface TiledMedia {
  readonly pixelValues?: PixelValues;
  readonly numPatchesList?: number[];
  /** One line per input: its size and tiles, or the frames taken. */
  readonly grids: string[];
}

/** Tiles every image as the card's load_image, and the frames one tile each as load_video. */
export function tileMedia(model: InternVL, media: Media): TiledMedia {
  const parts: PixelValues[] = [];
  const numPatchesList: number[] = [];
  const grids: string[] = [];
  for (const { path, image } of media.images) {
    const p = model.preprocess(image, media.options.maxTiles ?? model.model.config.max_dynamic_patch);
    parts.push(p);
    numPatchesList.push(p.tiles);
    grids.push(`${path}: ${image.width}×${image.height} → ${p.tiles} tile(s)`);
  }
  if (media.options.combineImages && parts.length > 1) numPatchesList.splice(0, numPatchesList.length, parts.reduce((n, p) => n + p.tiles, 0));
  if (media.video) {
    const v = videoPixels(media.video.frames);
    parts.push({ data: v.pixelValues, tiles: media.video.frames.length });
    numPatchesList.push(...v.numPatchesList);
    grids.push(`${media.video.path}: frames ${media.video.indices.join(', ')}`);
  }
  if (!parts.length) return { grids };
  return { pixelValues: concatPixelValues(parts), numPatchesList, grids };
}

/** The first turn's request: the question as written when it has placeholders, else the card's prefix + question. */
export function firstTurn(media: Media, tiled: TiledMedia, question: string): Pick<ChatRequest, 'question' | 'pixelValues' | 'numPatchesList'> {
  checkPlaceholders(question, media.options);
  return {
    question: countPlaceholders(question) > 0 ? question : prefix(media) + question,
    ...(tiled.pixelValues && { pixelValues: tiled.pixelValues, numPatchesList: tiled.numPatchesList! }),
  };
}

/** A later turn: the images are already in the history's first question, as in the card's multi-round chat. */
export function laterTurn(tiled: TiledMedia, question: string): Pick<ChatRequest, 'question' | 'pixelValues' | 'numPatchesList'> {
  if (countPlaceholders(question) > 0) throw new Error(`only the first question may hold ${IMAGE_PLACEHOLDER} placeholders (/reset starts a new conversation)`);
  return { question, ...(tiled.pixelValues && { pixelValues: tiled.pixelValues, numPatchesList: tiled.numPatchesList! }) };
}
