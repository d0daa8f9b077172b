// Float64 references for dtype casts and copies.

/** bf16 → f32 is exact: the reference is the identity on the (already bf16-rounded) values. */
export function castBf16ToF32(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x);
}

/** y (a copy of dst) with y[dstOffset + i] = x[srcOffset + i] for i < n. */
export function copyRange(x: ArrayLike<number>, dst: ArrayLike<number> | undefined, dstLength: number, n: number, srcOffset: number, dstOffset: number): Float64Array {
  const y = dst ? Float64Array.from(dst) : new Float64Array(dstLength);
  for (let i = 0; i < n; i++) y[dstOffset + i] = x[srcOffset + i]!;
  return y;
}
