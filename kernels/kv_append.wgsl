// kv_append: for t < T, column c4 < Hkv·Dh/4:  k_cache[slots[t], c4] = k[t, c4];  v_cache[slots[t], c4] = v[t, c4]
// (caches viewed as [numBlocks·blockSize, Hkv·Dh]; slot = block·blockSize + offset, computed on the host from the
// sequence's block table), stored as the pool holds values (kernels/include/kv_pool.wgsl: f32, or f16 rounded to
// nearest even with KV_F16). k, v are column windows of row-major matrices (element (t, c) is x[t·xStride + xOffset + c]),
// so the new rows come straight from the k/v projections (after RoPE) or a fused qkv.
// Threads: one invocation per (row t, pool word of the row: 4 values f32, 8 f16); linear index = (wid.y·nwg.x + wid.x)·WG + lid.
// Reference: runtime/reference/attention.ts kvAppend. Upstream: vLLM reshape_and_cache (paged KV cache).
// Limits: rowSize (Hkv·Dh) a multiple of 4 (f16: 8), offsets and strides multiples of 4; slots < numBlocks·blockSize
// (not checked on the GPU).
override WG: u32 = 64;

struct Params { rows: u32, rowSize: u32, kOffset: u32, kStride: u32, vOffset: u32, vStride: u32 }

@group(0) @binding(0) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> slots: array<u32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<vec4<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

// #include "kv_pool.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let per = kv_per_word();
  let rowWords = params.rowSize / 4u / per;
  if (i >= params.rows * rowWords) { return; }
  let t = i / rowWords;
  let w = i % rowWords;
  let ks = (t * params.kStride + params.kOffset) / 4u + w * per;
  let vs = (t * params.vStride + params.vOffset) / 4u + w * per;
  // f32: one column per word (the second argument of kv_pack is ignored)
  let dst = slots[t] * rowWords + w;
  k_cache[dst] = kv_pack(k[ks], k[ks + per - 1u]);
  v_cache[dst] = kv_pack(v[vs], v[vs + per - 1u]);
}
