// RgbImage: the 8-bit RGB raster that preprocessing works on, i.e. what PIL's `Image.convert('RGB')`
// holds (minus PIL's unused 4th byte per pixel). Decoders live outside the core (tools/node/, or a
// browser canvas) behind `ImageDecoder`.

/** `data` is RGB interleaved, row-major, `width * height * 3` bytes, no row padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Turns encoded bytes (PNG, JPEG, …) into an RgbImage the way PIL `Image.open(...).convert('RGB')` does. */
export interface ImageDecoder {
  decode(bytes: Uint8Array, name?: string): Promise<RgbImage>;
}

export function rgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`[rgbImage] size must be positive integers, got ${width}x${height}`);
  }
  const bytes = width * height * 3;
  if (data && data.length !== bytes) {
    throw new Error(`[rgbImage] ${width}x${height} RGB needs ${bytes} bytes, got ${data.length}`);
  }
  return { width, height, data: data ?? new Uint8Array(bytes) };
}

/** PIL `Image.crop((left, top, left + width, top + height))` for a box inside the image: exact copy. */
export function cropRgb(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height) {
    throw new Error(
      `[cropRgb] box (${left}, ${top}, ${left + width}, ${top + height}) outside ${img.width}x${img.height}`,
    );
  }
  const out = rgbImage(width, height);
  const rowBytes = width * 3;
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * 3;
    out.data.set(img.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return out;
}
