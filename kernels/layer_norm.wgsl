// layer_norm: μ[r] = mean_c x[r, c];  σ²[r] = mean_c (x[r, c] − μ[r])²  (biased);
//             y[r, c] = (x[r, c] − μ[r]) · inverseSqrt(σ²[r] + eps) · w[c] + b[c]
// Threads: one workgroup of WG threads per row. Two passes over the row, each a strided f32 partial sum and a
// tree reduction in workgroup memory: first the mean, then the sum of squared deviations (two-pass, so a large
// common offset in x does not cancel catastrophically as E[x²] − E[x]² would). A third pass writes y.
// Reference: runtime/reference/norms.ts layerNorm. Upstream: nn.LayerNorm in InternVisionEncoderLayer
// norm1/norm2 (modeling_intern_vit.py, eps 1e-6) and mlp1[0] (modeling_internvl_chat.py, eps 1e-5).
// Limits: rows ≤ 65535·65535 (grid folded by the runtime); any cols ≥ 1; WG a power of two.
override WG: u32 = 256;

// #include "layer_norm_io.wgsl"

var<workgroup> partial: array<f32, WG>;

// Sum of `v` over the workgroup; every thread gets the result. Must be called uniformly.
fn workgroup_sum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier(); // everyone has read partial[0] before the next call overwrites it
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  let n = f32(params.cols);

  var sum = 0.0;
  for (var c = lid; c < params.cols; c += WG) { sum += x[base + c]; }
  let mean = workgroup_sum(lid, sum) / n;

  var ss = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    let d = x[base + c] - mean;
    ss += d * d;
  }
  let scale = inverseSqrt(workgroup_sum(lid, ss) / n + params.eps);

  for (var c = lid; c < params.cols; c += WG) {
    y[base + c] = (x[base + c] - mean) * scale * w[c] + b[c];
  }
}
