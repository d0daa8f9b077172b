// Browser ImageDecoder: the pixels PIL's `Image.open(...).convert('RGB')` gives, from the browser's own codecs.
//  - createImageBitmap with imageOrientation 'none' (PIL does not apply EXIF rotation), colorSpaceConversion
//    'none' (PIL ignores embedded ICC profiles and gamma), premultiplyAlpha 'none';
//  - drawn 1:1 onto an OffscreenCanvas and read back; alpha is dropped, not composited.
// A 2D canvas keeps premultiplied pixels, so where alpha < 255 its read-back loses the colour (0 at alpha 0).
// Such images are read once more, exactly: through WebGL2 with UNPACK_PREMULTIPLY_ALPHA false, or where there is
// no WebGL2 (Chromium with --use-webgpu-adapter=opengles) through WebGPU's copyExternalImageToTexture with
// premultipliedAlpha false. Only if both are missing does the canvas read-back stand (with a console warning). The resize and tiling after decoding are the core's PIL-exact code, as in Node.
// Known differences from PIL: 16-bit PNGs (browsers round 16→8 bits, PIL truncates) and CMYK JPEGs.
import { type ImageDecoder, type RgbImage, rgbImage } from './rgb_image.js';

/** Same limit as the Node decoder: 100 MP of RGB is 300 MB before tiling starts. */
export const MAX_IMAGE_PIXELS = 100_000_000;

const BITMAP_OPTIONS: ImageBitmapOptions = { imageOrientation: 'none' as ImageOrientation, colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

export async function decodeImageBlob(blob: Blob, name = '<image>'): Promise<RgbImage> {
  if (blob.size === 0) throw new Error(`image ${name} is empty (0 bytes)`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, BITMAP_OPTIONS);
  } catch (e) {
    throw new Error(`${name} is not a readable image: ${(e as Error).message}`);
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_IMAGE_PIXELS) {
      throw new Error(`image ${name} is ${width}x${height} = ${((width * height) / 1e6).toFixed(1)} MP, over the ${MAX_IMAGE_PIXELS / 1e6} MP limit; downscale it first`);
    }
    const rgba = readCanvas2d(bitmap);
    const translucent = hasTranslucency(rgba);
    if (!translucent) return rgbFromRgba(width, height, rgba);
    const exact = readWebgl(bitmap) ?? (await readWebgpu(bitmap));
    if (!exact) console.warn(`decodeImage: ${name} has transparency and neither WebGL2 nor WebGPU can read it unpremultiplied: colours under alpha < 255 are approximate`);
    return rgbFromRgba(width, height, exact ?? rgba);
  } finally {
    bitmap.close();
  }
}

/** RGBA of any drawable source (an ImageBitmap, a video frame) at its natural size, via a 2D canvas. */
export function readCanvas2d(source: CanvasImageSource & { width: number; height: number }, width = source.width, height = source.height): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' }) as OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error('decodeImage: no 2D canvas context');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
}

function hasTranslucency(rgba: Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

/** Unpremultiplied RGBA exactly as decoded, or undefined without WebGL2. Rows come back bottom-up. */
function readWebgl(bitmap: ImageBitmap): Uint8Array | undefined {
  const { width, height } = bitmap;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2', { premultipliedAlpha: false }) as WebGL2RenderingContext | null;
  if (!gl) return undefined;
  try {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    const fb = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return undefined;
    const out = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
    if (gl.getError() !== gl.NO_ERROR) return undefined;
    return out; // texture row 0 is the image's first row: readPixels returns it first
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

let webgpuDevice: Promise<GPUDevice | undefined> | undefined;

/** Unpremultiplied RGBA through a small WebGPU device of its own, or undefined without WebGPU. */
async function readWebgpu(bitmap: ImageBitmap): Promise<Uint8Array | undefined> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return undefined;
  webgpuDevice ??= (async () => {
    const adapter = (await gpu.requestAdapter()) ?? (await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions));
    return adapter ? adapter.requestDevice() : undefined;
  })().catch(() => undefined);
  const device = await webgpuDevice;
  if (!device) return undefined;
  const { width, height } = bitmap;
  const bytesPerRow = Math.ceil((width * 4) / 256) * 256;
  const texture = device.createTexture({ size: [width, height], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT });
  const buffer = device.createBuffer({ size: bytesPerRow * height, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  try {
    device.queue.copyExternalImageToTexture({ source: bitmap }, { texture, premultipliedAlpha: false }, [width, height]);
    const encoder = device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture }, { buffer, bytesPerRow }, [width, height]);
    device.queue.submit([encoder.finish()]);
    await buffer.mapAsync(GPUMapMode.READ);
    const padded = new Uint8Array(buffer.getMappedRange());
    const out = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) out.set(padded.subarray(y * bytesPerRow, y * bytesPerRow + width * 4), y * width * 4);
    return out;
  } catch {
    return undefined;
  } finally {
    buffer.destroy();
    texture.destroy();
  }
}

export function rgbFromRgba(width: number, height: number, rgba: ArrayLike<number>): RgbImage {
  const out = rgbImage(width, height);
  for (let p = 0, q = 0; p < width * height; p++, q += 4) {
    out.data[p * 3] = rgba[q]!;
    out.data[p * 3 + 1] = rgba[q + 1]!;
    out.data[p * 3 + 2] = rgba[q + 2]!;
  }
  return out;
}

export const browserImageDecoder: ImageDecoder = {
  decode: (bytes, name) => decodeImageBlob(new Blob([bytes as Uint8Array<ArrayBuffer>]), name),
};
