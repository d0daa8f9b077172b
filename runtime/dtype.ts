// Element types the runtime stores on the GPU.
// bf16 and f16 are stored packed two per u32 (element 2i in the low half, 2i+1 in the high half),
// which is exactly the little-endian byte layout of a safetensors BF16/F16 tensor: weights upload raw.
// q4 and q8 are quantized weights [N, K] (runtime/quant.ts): their storage holds the codes (eight or four per u32)
// and the tensor's `scales` the f16 scale of every group of 32 along K.
export type DType = 'f32' | 'f16' | 'bf16' | 'u32' | 'i32' | 'q4' | 'q8';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { f32: 4, f16: 2, bf16: 2, u32: 4, i32: 4, q4: 0.5, q8: 1 };

/** Bytes a tensor of `numel` elements occupies on the GPU, rounded up to whole u32 words. */
export function storageBytes(dtype: DType, numel: number): number {
  return Math.ceil((numel * DTYPE_BYTES[dtype]) / 4) * 4;
}

const f32View = new Float32Array(1);
const u32View = new Uint32Array(f32View.buffer);

/** bf16 bits → f32 value (bf16 is the top half of an f32). */
export function bf16ToF32(bits: number): number {
  u32View[0] = (bits & 0xffff) << 16;
  return f32View[0]!;
}

/** f32 value → bf16 bits, round to nearest even (NaN stays NaN), as torch's .to(bfloat16). */
export function f32ToBf16(value: number): number {
  f32View[0] = value;
  const u = u32View[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Round an f32 to the nearest bf16 value, returned as a number. */
export function roundToBf16(value: number): number {
  return bf16ToF32(f32ToBf16(value));
}

/** Pack f32 values as bf16, two per u32, into a Uint16Array-compatible byte layout. */
export function packBf16(values: ArrayLike<number>): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(values.length + (values.length & 1));
  for (let i = 0; i < values.length; i++) out[i] = f32ToBf16(values[i]!);
  return out;
}

/** Unpack bf16 halves back to f32. */
export function unpackBf16(bits: Uint16Array, numel = bits.length): Float32Array {
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) out[i] = bf16ToF32(bits[i]!);
  return out;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** f32 value → f16 bits, round to nearest even (subnormals, overflow to ∞, NaN kept), as numpy's astype(float16). */
export function f32ToF16(value: number): number {
  f32Scratch[0] = value;
  const f = u32Scratch[0]!;
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    let h = ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is still right
    return sign | h;
  }
  if (e < -25) return sign;
  // Subnormal: units of 2^-24; the 24-bit significand m is worth m · 2^(e+1) of them.
  const m = mant | 0x800000;
  const shift = -e - 1;
  let h = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** Round to f32, then to the nearest f16 value (ties to even), returned as a number: what an f16 store of an f32 keeps. */
export function roundToF16(value: number): number {
  return f16ToF32(f32ToF16(value));
}

/** f16 bits → f32 value (exact). */
export function f16ToF32(bits: number): number {
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return (bits & 0x8000 ? -mant : mant) * 2 ** -24;
  // normal and ∞/NaN: rebias the exponent into an f32's bits
  u32View[0] = ((bits & 0x8000) << 16) | ((exp === 0x1f ? 0xff : exp + 112) << 23) | (mant << 13);
  return f32View[0]!;
}
