// gelu: y[i] = x[i] · Φ(x[i]) = 0.5 · x · (1 + erf(x / √2))   (exact erf GELU, not the tanh approximation)
// Φ is computed through erfc so that both tails keep their relative accuracy:
//   x ≥ 0: Φ(x) = 1 − ½·erfc(z),  x < 0: Φ(x) = ½·erfc(z),  z = |x|/√2,
//   erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2) — Numerical Recipes `erfcc` (Chebyshev fit, relative error
//   < 1.2e-7 for all z ≥ 0). −z² is formed as −s² + (s − z)(s + z) with s = z truncated to 12 mantissa bits so s²
//   is exact in f32 (fdlibm's trick): the argument of exp keeps full precision at large z.
// Threads: one thread per element; the linear index folds the grid's y into x.
// Reference: runtime/reference/elementwise.ts gelu. Upstream: transformers GELUActivation (InternViT mlp act,
// hidden_act "gelu") and nn.GELU() (approximate='none') in mlp1[2].
// Limits: n ≤ 65535·65535·WG. x → −∞ gives −0 (exp underflows to 0; −∞ handled explicitly, no NaN); NaN stays NaN.
override WG: u32 = 256;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// erfc(z) for z ≥ 0 (relative error ≈ 1e-7 plus f32 rounding).
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let s = bitcast<f32>(bitcast<u32>(z) & 0xfffff000u);
  return t * exp(-s * s) * exp((s - z) * (s + z) + p);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  let v = x[i];
  let z = min(abs(v) * 0.70710678118654752, 16.0); // erfc(16) = 0 in f32; the clamp keeps exp's argument finite
  let h = 0.5 * erfc_pos(z);
  let phi = select(h, 1.0 - h, v >= 0.0);
  y[i] = select(v * phi, 0.0, v < -16.0); // the −∞ tail (and −∞ itself, where v·0 would be NaN) is exactly 0
}
