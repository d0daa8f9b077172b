// gelu: y[i] = x[i] · Φ(x[i]) = 0.5 · x · (1 + erf(x / √2))   (exact erf GELU: kernels/include/gelu_erf.wgsl)
// Threads: one thread per element; the linear index folds the grid's y into x.
// Reference: runtime/reference/elementwise.ts gelu. Upstream: transformers GELUActivation (InternViT mlp act,
// hidden_act "gelu") and nn.GELU() (approximate='none') in mlp1[2]. The GEMM variants that fuse it into their
// store (runtime/ops/linear.ts `activation`) run the same function.
// Limits: n ≤ 65535·65535·WG. x → −∞ gives −0; NaN stays NaN.
override WG: u32 = 256;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// #include "gelu_erf.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  y[i] = gelu_erf(x[i]);
}
