// copy: y[dst_offset + i] = x[src_offset + i] for i < n (32-bit words).
// Threads: one invocation per word; the grid is folded over 65535 in y.
// Reference: runtime/reference/data.ts copyWords. Upstream: tensor slicing / torch.cat into a preallocated buffer.
// Limits: offsets and n in 32-bit words (f32, u32, i32 tensors, or bf16 tensors with even offsets).
override WG: u32 = 256;

struct Params { n: u32, src_offset: u32, dst_offset: u32 }

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  y[params.dst_offset + i] = x[params.src_offset + i];
}
