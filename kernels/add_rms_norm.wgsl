// add_rms_norm: h[r, c] = x[r, c] + f[r, c]
//               y[r, c] = h[r, c] * inverseSqrt(mean_c(h[r, :]^2) + eps) * w[c]
// (the residual add of one Qwen2 sublayer fused with the RMSNorm of the next: h continues the residual stream,
// y feeds the next sublayer). Bit-identical to residual then rms_norm: h is rounded to f32 before it is squared,
// and the reduction is rms_norm.wgsl's.
// Threads: one workgroup of WG threads per row; each strides over the row writing h and summing h², then a tree
// reduction in workgroup memory (f32, as Qwen2RMSNorm upcasts to float32); then each thread scales its columns.
// Reference: runtime/reference/norms.ts addRmsNorm (= elementwise.ts residual, then norms.ts rmsNorm). Upstream:
// Qwen2DecoderLayer.forward (residual + hidden_states, then post_attention_layernorm / the next layer's
// input_layernorm / Qwen2Model.norm), modeling_qwen2.py.
// Limits: rows ≤ 65535·65535 (grid folded by the runtime); any cols. h must not alias x or f.
override WG: u32 = 128;

struct Params { rows: u32, cols: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> h: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var sum = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    let v = x[base + c] + f[base + c];
    h[base + c] = v;
    sum += v * v;
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let scale = inverseSqrt(partial[0] / f32(params.cols) + params.eps);
  // Each thread reads back only the h elements it wrote itself.
  for (var c = lid; c < params.cols; c += WG) {
    y[base + c] = h[base + c] * scale * w[c];
  }
}
