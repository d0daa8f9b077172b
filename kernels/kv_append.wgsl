// kv_append: for t < T, c4 < Hkv·Dh/4:  k_cache[slots[t], c4] = k[t, c4];  v_cache[slots[t], c4] = v[t, c4]
// (caches viewed as [numBlocks·blockSize, Hkv·Dh]; slot = block·blockSize + offset, computed on the host from the
// sequence's block table). k, v are column windows of row-major matrices (element (t, c) is x[t·xStride + xOffset + c]),
// so the new rows come straight from the k/v projections (after RoPE) or a fused qkv.
// Threads: one invocation per (row t, vec4 of the row); linear index = (wid.y·nwg.x + wid.x)·WG + lid.
// Reference: runtime/reference/attention.ts kvAppend. Upstream: vLLM reshape_and_cache (paged KV cache).
// Limits: rowSize (Hkv·Dh), offsets and strides multiples of 4; slots < numBlocks·blockSize (not checked on the GPU).
override WG: u32 = 64;

struct Params { rows: u32, rowSize: u32, kOffset: u32, kStride: u32, vOffset: u32, vStride: u32 }

@group(0) @binding(0) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> slots: array<u32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let row4 = params.rowSize / 4u;
  if (i >= params.rows * row4) { return; }
  let t = i / row4;
  let c = i % row4;
  let dst = slots[t] * row4 + c;
  k_cache[dst] = k[(t * params.kStride + params.kOffset) / 4u + c];
  v_cache[dst] = v[(t * params.vStride + params.vOffset) / 4u + c];
}
