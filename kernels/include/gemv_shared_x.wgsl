// Included by the decode GEMVs whose lanes share x through subgroup shuffles (linear_vec_shuffle,
// linear_vec_swiglu_shuffle): gemv_x.wgsl and the walks along K, one word of 8 k at a time, that load x once per
// subgroup or per invocation. The including kernel enables `subgroups`, declares the override SHARE_X besides
// gemv_x's needs, and the functions load_weights(k8) (the owned rows' word k8, called for k8 = 0, 1, 2, … in
// order) and accumulate(m, x8) (its products with one word of x row m).
// #include "gemv_x.wgsl"

/** All of K, one word of 8 weights at a time, every invocation loading x (and with NORM all of Σx²) itself. */
fn walk_k_direct(K8: u32) {
  for (var k8 = 0u; k8 < K8; k8++) {
    load_weights(k8);
    for (var m = 0u; m < XM; m++) { accumulate(m, load_x(m, k8, K8, true)); }
  }
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
    walk_k_direct(K8);
  }
}
