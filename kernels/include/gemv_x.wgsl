// Included by the decode GEMVs (through gemv_shared_x.wgsl where lanes share x): x's layout and its RMSNorm
// prologue, and the walk along K in which every invocation loads x itself. The including kernel declares the
// bindings x (array<vec4<f32>>) and norm_w, the overrides XM and NORM, and the functions load_weights(k8) (the
// owned rows' word k8, called for k8 = 0, 1, 2, … in order) and accumulate(m, x8) (its products with one word of
// x row m).
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

/** All of K, one word of 8 weights at a time, every invocation loading x (and with NORM all of Σx²) itself. */
fn walk_k_direct(K8: u32) {
  for (var k8 = 0u; k8 < K8; k8++) {
    load_weights(k8);
    for (var m = 0u; m < XM; m++) { accumulate(m, load_x(m, k8, K8, true)); }
  }
}
