// Turns the CLI's image/video options into a ChatRequest the way the model card builds its prompts:
// one image → `<image>\n` prefix; repeated --image → `Image-1: <image>\n…` with one num_patches_list entry each
// (or all tiles under one `<image>` with --combine-images); --video → `Frame1: <image>\n…`, one tile per frame.
import { type ChatRequest, type InternVL, type PixelValues, concatPixelValues } from '../../model/chat.js';
import { multiImagePrefix } from '../../model/conversation.js';
import { loadImage, loadVideo } from '../node/internvl.js';

export interface MediaOptions {
  readonly images: readonly string[];
  readonly maxTiles?: number;
  readonly combineImages?: boolean;
  readonly video?: string;
  readonly frames?: number;
}

export interface Media {
  /** Text to put before the question on the first turn. */
  readonly prefix: string;
  readonly pixelValues?: PixelValues;
  readonly numPatchesList?: number[];
  readonly grids: string[];
}

export async function loadMedia(model: InternVL, o: MediaOptions): Promise<Media> {
  const parts: PixelValues[] = [];
  const numPatchesList: number[] = [];
  const grids: string[] = [];
  let prefix = '';
  for (const path of o.images) {
    const img = await loadImage(path);
    const p = model.preprocess(img, o.maxTiles ?? model.model.config.max_dynamic_patch);
    parts.push(p);
    numPatchesList.push(p.tiles);
    grids.push(`${path}: ${img.width}×${img.height} → ${p.tiles} tile(s)`);
  }
  if (o.images.length > 1) prefix = o.combineImages ? '<image>\n' : multiImagePrefix(o.images.length);
  else if (o.images.length === 1) prefix = '<image>\n';
  if (o.video) {
    const v = await loadVideo(o.video, o.frames ?? 8);
    parts.push(v.pixelValues);
    numPatchesList.push(...v.numPatchesList);
    prefix += v.prefix;
    grids.push(`${o.video}: frames ${v.frameIndices.join(', ')}`);
  }
  if (!parts.length) return { prefix: '', grids };
  const pixelValues = concatPixelValues(parts);
  const combined = o.combineImages && !o.video;
  return { prefix, pixelValues, numPatchesList: combined ? [pixelValues.tiles] : numPatchesList, grids };
}

/** The first turn's request: media prefix + question. */
export function firstTurn(media: Media, question: string): Pick<ChatRequest, 'question' | 'pixelValues' | 'numPatchesList'> {
  return {
    question: media.prefix + question,
    ...(media.pixelValues && { pixelValues: media.pixelValues, numPatchesList: media.numPatchesList! }),
  };
}
