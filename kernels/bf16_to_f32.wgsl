// bf16_to_f32: y[i] = f32(x[i]) for x bf16 packed two per u32 (element i is the (i & 1) half of word i >> 1).
// Threads: one invocation per output pair (two elements per u32 word); the grid is folded over 65535 in y.
// Reference: runtime/reference/data.ts castBf16ToF32 (bf16 widens to f32 exactly). Upstream: tensor.float().
// Limits: n ≤ 2^32 − 1.
override WG: u32 = 256;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let word = (wid.y * nwg.x + wid.x) * WG + lid;
  let i = word * 2u;
  if (i >= params.n) { return; }
  let bits = x[word];
  y[i] = bitcast<f32>(bits << 16u);
  if (i + 1u < params.n) { y[i + 1u] = bitcast<f32>(bits & 0xffff0000u); }
}
