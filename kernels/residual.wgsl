// residual: y[r, c] = x[r, c] + f[r, c]              (HAS_SCALE = false: Qwen2 decoder residuals)
//           y[r, c] = x[r, c] + ls[c] · f[r, c]      (HAS_SCALE = true: InternViT layer scale ls1/ls2)
// Threads: one thread per element (i = r·cols + c); the linear index folds the grid's y into x.
// Reference: runtime/reference/elementwise.ts residual. Upstream: InternVisionEncoderLayer.forward
// (hidden_states + drop_path(attn(...) * ls1), modeling_intern_vit.py); Qwen2DecoderLayer.forward.
// Limits: n ≤ 65535·65535·WG, n = rows·cols. Without HAS_SCALE `ls` is a dummy binding (any f32 tensor) never read.
override WG: u32 = 256;
override HAS_SCALE: bool = false;

struct Params { n: u32, cols: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> ls: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  var v = f[i];
  if (HAS_SCALE) { v *= ls[i % params.cols]; }
  y[i] = x[i] + v;
}
