// linear_vec_q_shuffle: kernels/linear_vec_q.wgsl with x (and the norm weight) loaded once per subgroup and handed
// out by subgroupShuffle (kernels/include/gemv_shared_x.wgsl: lavapipe turns every storage load with a computed
// offset into one scalar load per lane, and every invocation needs the same x). SHARE_X = false, or a subgroup
// with missing lanes, loads x directly.
// Reference: runtime/reference/linear.ts linear on runtime/quant.ts dequantize (NORM: ∘ rmsNorm; SWIGLU: siluMul).
// Limits: needs the `subgroups` feature; K % 32 == 0; XM ≤ 8; R ≤ 8; unused bindings are dummies.
enable subgroups;
diagnostic(off, subgroup_uniformity);

override SHARE_X: bool = true;
// #include "gemv_shared_x.wgsl"
// #include "gemv_q.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  if (!begin(wid, nwg, lid)) { return; } // workgroup-uniform: the whole subgroup stays live for the shuffles
  walk_k(params.k / 8u, lane, lanes);
  finish();
}
