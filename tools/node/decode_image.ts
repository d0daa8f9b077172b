// Node ImageDecoder: sharp (libvips), set up to give the pixels PIL's
// `Image.open(path).convert('RGB')` gives (SPEC §9.4):
//  - no EXIF auto-rotation (PIL does not rotate);
//  - no ICC transform (PIL ignores embedded profiles unless asked): `ignoreIcc`;
//  - alpha dropped, not composited (convert('RGB') from RGBA/LA/P+transparency drops it);
//  - grey → R = G = B; palette → its RGB entries (libvips expands palettes on load).
// JPEG: libvips' libjpeg and PIL's libjpeg-turbo may differ slightly; only PNG is bit-exact-tested.
// CMYK (JPEG, TIFF): raw CMYK from libvips (Adobe inversion already undone, as PIL does), then
// PIL's own cmyk2rgb formula instead of libvips' ICC-based conversion (which differs by up to ~110).
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { type ImageDecoder, type RgbImage, rgbImage } from '../../model/image/rgb_image.js';

/** Refuse anything larger: 100 MP of RGB is 300 MB before tiling even starts. */
export const MAX_IMAGE_PIXELS = 100_000_000;

export async function decodeImageFile(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read image file ${path}: ${(e as Error).message}`);
  }
  return decodeImageBytes(bytes, path);
}

export async function decodeImageBytes(bytes: Uint8Array, name = '<bytes>'): Promise<RgbImage> {
  if (bytes.length === 0) throw new Error(`image ${name} is empty (0 bytes)`);
  const options = {
    autoOrient: false,
    ignoreIcc: true,
    failOn: 'truncated' as const, // PIL refuses truncated files too (LOAD_TRUNCATED_IMAGES off)
    limitInputPixels: false as const, // checked below with a clearer message
  };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, options).metadata();
  } catch (e) {
    throw new Error(`${name} is not a readable image: ${(e as Error).message}`);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new Error(
      `image ${name} is ${width}x${height} = ${((width * height) / 1e6).toFixed(1)} MP, ` +
        `over the ${MAX_IMAGE_PIXELS / 1e6} MP limit; downscale it first`,
    );
  }
  const cmyk = meta.space === 'cmyk';
  let raw: { data: Buffer; info: OutputInfo };
  try {
    const pipeline = sharp(bytes, options);
    if (cmyk) pipeline.pipelineColourspace('cmyk').toColourspace('cmyk');
    else pipeline.removeAlpha();
    raw = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`cannot decode image ${name} (corrupt or truncated?): ${(e as Error).message}`);
  }
  return cmyk ? cmykToRgb(raw.data, raw.info, name) : toRgb(raw.data, raw.info, name);
}

/** Pillow Convert.c cmyk2rgb: nk = 255 - K; channel = clip(nk - MULDIV255(C, nk)). */
function cmykToRgb(data: Buffer, info: OutputInfo, name: string): RgbImage {
  const { width, height, channels } = info;
  if (channels < 4 || data.length !== width * height * channels) {
    throw new Error(`decoding CMYK image ${name}: unexpected raw layout (${channels} channels)`);
  }
  const mulDiv255 = (a: number, b: number) => { const t = a * b + 128; return ((t >> 8) + t) >> 8; };
  const out = rgbImage(width, height);
  for (let p = 0; p < width * height; p++) {
    const nk = 255 - data[p * channels + 3]!;
    for (let c = 0; c < 3; c++) out.data[p * 3 + c] = Math.max(0, nk - mulDiv255(data[p * channels + c]!, nk));
  }
  return out;
}

/** sharp gives 1 band for grey input and 3 for colour; anything else is unexpected here. */
function toRgb(data: Buffer, info: OutputInfo, name: string): RgbImage {
  const { width, height, channels } = info;
  const px = width * height;
  if (data.length !== px * channels) {
    throw new Error(`decoding ${name}: expected ${px * channels} bytes, sharp returned ${data.length}`);
  }
  if (channels === 3) return rgbImage(width, height, new Uint8Array(data.buffer, data.byteOffset, data.length));
  if (channels === 1) {
    const out = rgbImage(width, height);
    for (let i = 0; i < px; i++) out.data.fill(data[i]!, i * 3, i * 3 + 3);
    return out;
  }
  throw new Error(`decoding ${name}: unsupported channel count ${channels} after removing alpha`);
}

export const nodeImageDecoder: ImageDecoder = { decode: decodeImageBytes };
