// Included by the decode GEMVs (linear_vec_shuffle and linear_vec_swiglu_shuffle through gemv_shared_x.wgsl,
// linear_vec_q{,_shuffle}): x's layout, eight k at a time, and its RMSNorm prologue. The including kernel declares
// the bindings x (array<vec4<f32>>) and norm_w and the overrides XM and NORM.
/** Eight consecutive k of one row of x, regrouped: e = k, k+2, k+4, k+6 and o = k+1, k+3, k+5, k+7. */
struct X8 { e: vec4<f32>, o: vec4<f32> }

var<private> ss: array<f32, 8>; // NORM: this invocation's part of Σx² per row of x

/** Word j of x row m (NORM: times norm_w, its squares added to ss[m] where `count` says the word is this lane's). */
fn load_x(m: u32, j: u32, K8: u32, count: bool) -> X8 {
  let xa = x[(m * K8 + j) * 2u];
  let xb = x[(m * K8 + j) * 2u + 1u];
  let v = X8(vec4<f32>(xa.xz, xb.xz), vec4<f32>(xa.yw, xb.yw));
  if (!NORM) { return v; }
  if (count) { ss[m] += dot(v.e, v.e) + dot(v.o, v.o); }
  let na = norm_w[j * 2u];
  let nb = norm_w[j * 2u + 1u];
  return X8(v.e * vec4<f32>(na.xz, nb.xz), v.o * vec4<f32>(na.yw, nb.yw));
}
