// rms_norm: y[r, c] = x[r, c] * inverseSqrt(mean_c(x[r, :]^2) + eps) * w[c]
// Threads: one workgroup of WG threads per row; each strides over the row, then a tree reduction in
// workgroup memory; the sum of squares is accumulated in f32 (Qwen2RMSNorm upcasts to float32).
// Reference: runtime/reference/norms.ts rmsNorm. Upstream: Qwen2RMSNorm (transformers modeling_qwen2.py).
// Limits: rows ≤ 65535·65535 (grid folded by the runtime); any cols.
override WG: u32 = 128;

struct Params { rows: u32, cols: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var sum = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    let v = x[base + c];
    sum += v * v;
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let scale = inverseSqrt(partial[0] / f32(params.cols) + params.eps);
  for (var c = lid; c < params.cols; c += WG) {
    y[base + c] = x[base + c] * scale * w[c];
  }
}
