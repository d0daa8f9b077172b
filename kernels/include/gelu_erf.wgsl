// Exact (erf) GELU of one value: v · Φ(v) = 0.5 · v · (1 + erf(v / √2)), not the tanh approximation. Included by
// kernels/gelu.wgsl and by the GEMMs that apply it in their store (kernels/include/linear_epilogue.wgsl).
// Φ is computed through erfc so that both tails keep their relative accuracy:
//   v ≥ 0: Φ(v) = 1 − ½·erfc(z),  v < 0: Φ(v) = ½·erfc(z),  z = |v|/√2,
//   erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2) — Numerical Recipes `erfcc` (Chebyshev fit, relative error
//   < 1.2e-7 for all z ≥ 0). −z² is formed as −s² + (s − z)(s + z) with s = z truncated to 12 mantissa bits so s²
//   is exact in f32 (fdlibm's trick): the argument of exp keeps full precision at large z.
// v → −∞ gives −0 (exp underflows to 0; −∞ handled explicitly, no NaN); NaN stays NaN.

// erfc(z) for z ≥ 0 (relative error ≈ 1e-7 plus f32 rounding).
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let s = bitcast<f32>(bitcast<u32>(z) & 0xfffff000u);
  return t * exp(-s * s) * exp((s - z) * (s + z) + p);
}

fn gelu_erf(v: f32) -> f32 {
  let z = min(abs(v) * 0.70710678118654752, 16.0); // erfc(16) = 0 in f32; the clamp keeps exp's argument finite
  let h = 0.5 * erfc_pos(z);
  let phi = select(h, 1.0 - h, v >= 0.0);
  return select(v * phi, 0.0, v < -16.0); // the −∞ tail (and −∞ itself, where v·0 would be NaN) is exactly 0
}
