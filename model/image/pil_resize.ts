// Pillow's `Image.resize(size)` with the default BICUBIC filter, for 8-bit RGB, bit-exact.
// A port of src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner) for the full-image box
// (0, 0, width, height), which is what `resize(size)` passes. SPEC §9.2.
import { type RgbImage, rgbImage } from './rgb_image.js';

// Pillow: 32 - 8 - 2; two spare bits because bicubic weights go negative and can sum above 1.
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const BICUBIC_SUPPORT = 2;

/** Keys cubic with a = -0.5, evaluated in the same operation order as Pillow's bicubic_filter. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output index o: input range [start[o], start[o] + count[o]) and fixed-point weights at o * ksize. */
export interface ResampleCoeffs {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize). */
export function bicubicCoeffs(inSize: number, outSize: number): ResampleCoeffs {
  // Pillow computes (double)(in1 - in0) with float box edges; for the full box that is exactly inSize.
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1); // > 1 when shrinking: widen the kernel (antialiasing)
  const support = BICUBIC_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1 / filterscale; // Pillow multiplies by the reciprocal; dividing can differ in the last bit
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamp to 0 follows it.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = xmax - xmin;
    let ww = 0;
    for (let x = 0; x < n; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < n; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      // Round half away from zero, then C truncation (normalize_coeffs_8bpc).
      weights[o * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[o] = xmin;
    count[o] = n;
  }
  return { ksize, start, count, weights };
}

/** clip8: arithmetic shift out the fraction, clamp to a byte. |acc| < 2^31 for 8-bit input. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resampleHorizontal(src: RgbImage, outWidth: number): RgbImage {
  const c = bicubicCoeffs(src.width, outWidth);
  const out = rgbImage(outWidth, src.height);
  const s = src.data;
  const d = out.data;
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const kOff = xx * c.ksize;
      const n = c.count[xx]!;
      let p = row + c.start[xx]! * 3;
      let r = HALF, g = HALF, b = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const w = c.weights[kOff + x]!;
        r += s[p]! * w;
        g += s[p + 1]! * w;
        b += s[p + 2]! * w;
      }
      const q = (y * outWidth + xx) * 3;
      d[q] = clip8(r);
      d[q + 1] = clip8(g);
      d[q + 2] = clip8(b);
    }
  }
  return out;
}

function resampleVertical(src: RgbImage, outHeight: number): RgbImage {
  const c = bicubicCoeffs(src.height, outHeight);
  const out = rgbImage(src.width, outHeight);
  const s = src.data;
  const d = out.data;
  const stride = src.width * 3;
  // Row-at-a-time accumulation streams through memory; float64 holds these integer sums exactly.
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const kOff = yy * c.ksize;
    const n = c.count[yy]!;
    acc.fill(HALF);
    for (let y = 0; y < n; y++) {
      const w = c.weights[kOff + y]!;
      const row = (c.start[yy]! + y) * stride;
      for (let i = 0; i < stride; i++) acc[i]! += s[row + i]! * w;
    }
    const q0 = yy * stride;
    for (let i = 0; i < stride; i++) d[q0 + i] = clip8(acc[i]!);
  }
  return out;
}

/**
 * PIL `img.resize((width, height))` (BICUBIC) for an RGB image: horizontal pass into a uint8
 * temporary, then vertical; a pass is skipped when its dimension is unchanged; equal size copies.
 */
export function pilResizeBicubic(img: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`[pilResizeBicubic] target size must be positive integers, got ${width}x${height}`);
  }
  let cur = img;
  if (width !== img.width) cur = resampleHorizontal(cur, width);
  if (height !== img.height) cur = resampleVertical(cur, height);
  return cur === img ? rgbImage(img.width, img.height, img.data.slice()) : cur;
}
