// silu_mul: y[i] = silu(gate[i]) · up[i] = gate[i] / (1 + exp(−gate[i])) · up[i]   (SwiGLU)
// Threads: one thread per element; the linear index folds the grid's y into x.
// Reference: runtime/reference/elementwise.ts siluMul. Upstream: Qwen2MLP.forward, act_fn(gate_proj(x)) * up_proj(x)
// (modeling_qwen2.py, hidden_act "silu").
// Limits: n ≤ 65535·65535·WG. gate → −∞ gives −0·up (exp overflows to +∞, 1/∞ = 0); gate = −∞ exactly gives NaN
// as in PyTorch.
override WG: u32 = 256;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  let g = gate[i];
  y[i] = g / (1.0 + exp(-g)) * up[i];
}
