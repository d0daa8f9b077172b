// Included by the decode GEMVs whose lanes share x through subgroup shuffles (linear_vec_shuffle,
// linear_vec_swiglu_shuffle): x's layout and its RMSNorm prologue, and the walk along K. The including kernel
// declares the bindings x (array<vec4<f32>>) and norm_w, the overrides XM, NORM and SHARE_X, and the functions
// load_weights(k8) (the owned rows' word k8) and accumulate(m, x8) (its products with one word of x row m).
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

/**
 * All of K, one word of 8 weights at a time. Sharing: per block of `lanes` words, lane l loads word kb + l of every
 * x row once and the subgroup hands each word out with subgroupShuffle; needs the whole subgroup live (the caller's
 * early return is workgroup-uniform) and a full subgroup, else every invocation loads x itself.
 */
fn walk_k(K8: u32, lane: u32, lanes: u32) {
  let sharing = SHARE_X && subgroupAdd(1u) == lanes;
  if (sharing) {
    for (var kb = 0u; kb < K8; kb += lanes) {
      var own: array<X8, 8>;
      for (var m = 0u; m < XM; m++) { own[m] = load_x(m, min(kb + lane, K8 - 1u), K8, kb + lane < K8); } // past the end: a copy of the last word, never taken
      let count = min(lanes, K8 - kb);
      for (var t = 0u; t < count; t++) {
        load_weights(kb + t);
        for (var m = 0u; m < XM; m++) { accumulate(m, X8(subgroupShuffle(own[m].e, t), subgroupShuffle(own[m].o, t))); }
      }
    }
    if (NORM) { for (var m = 0u; m < XM; m++) { ss[m] = subgroupAdd(ss[m]); } }
  } else {
    for (var k8 = 0u; k8 < K8; k8++) {
      load_weights(k8);
      for (var m = 0u; m < XM; m++) { accumulate(m, load_x(m, k8, K8, true)); }
    }
  }
}
