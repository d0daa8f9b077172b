// Included by the decode GEMVs whose lanes share x through subgroup shuffles (linear_vec_shuffle,
// linear_vec_swiglu_shuffle, linear_vec_q_shuffle): gemv_x.wgsl and the walk along K that loads x once per
// subgroup. The including kernel enables `subgroups` and declares the override SHARE_X besides gemv_x's needs.
// #include "gemv_x.wgsl"

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
