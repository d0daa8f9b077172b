// linear_vec_q_shuffle: kernels/linear_vec_q.wgsl with x (and the norm weight) loaded once per subgroup and handed
// out by subgroupShuffle (kernels/include/gemv_shared_x.wgsl: lavapipe turns every storage load with a computed
// offset into one scalar load per lane, and every invocation needs the same x). SHARE_X = false, or a subgroup
// with missing lanes, loads x directly.
// Reference: runtime/reference/linear.ts linear on runtime/quant.ts dequantize (NORM: ∘ rmsNorm; SWIGLU: siluMul).
// Limits: needs the `subgroups` feature; K % 32 == 0; XM ≤ 8; R ≤ 8; unused bindings are dummies.
enable subgroups;
diagnostic(off, subgroup_uniformity);

override SHARE_X: bool = true;
// #include "gemv_x.wgsl"
// #include "gemv_q.wgsl"

/** Step j of the current group, x word t of the block from lane t. */
fn step_shared(own: ptr<function, array<X8, 8>>, t: u32, j: u32) {
  var xs: array<X8, 8>;
  for (var m = 0u; m < XM; m++) { xs[m] = X8(subgroupShuffle((*own)[m].e, t), subgroupShuffle((*own)[m].o, t)); }
  step(j, &xs);
}

/**
 * All of K a group at a time; per block of `lanes` words lane l loads word kb + l of every x row once and the
 * subgroup hands each out with subgroupShuffle. Needs the whole subgroup live, full, and a multiple of 4 lanes
 * (blocks of whole groups); otherwise every invocation loads x itself.
 */
fn walk_groups(K8: u32, lane: u32, lanes: u32) {
  let sharing = SHARE_X && subgroupAdd(1u) == lanes && lanes % 4u == 0u;
  if (!sharing) {
    walk_groups_direct(K8);
    return;
  }
  for (var kb = 0u; kb < K8; kb += lanes) {
    var own: array<X8, 8>;
    for (var m = 0u; m < XM; m++) { own[m] = load_x(m, min(kb + lane, K8 - 1u), K8, kb + lane < K8); } // past the end: never taken
    let count = min(lanes, K8 - kb); // a multiple of 4: K8 and lanes are
    for (var t = 0u; t < count; t += 4u) {
      load_group((kb + t) / 4u);
      step_shared(&own, t, 0u);
      step_shared(&own, t + 1u, 1u);
      step_shared(&own, t + 2u, 2u);
      step_shared(&own, t + 3u, 3u);
    }
  }
  if (NORM) { for (var m = 0u; m < XM; m++) { ss[m] = subgroupAdd(ss[m]); } }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  if (!begin(wid, nwg, lid)) { return; } // workgroup-uniform: the whole subgroup stays live for the shuffles
  walk_groups(params.k / 8u, lane, lanes);
  finish();
}
