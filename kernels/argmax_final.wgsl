// argmax_final: y[b] = part_idx[b, k*] where k* maximises (part_key[b, k], −part_idx[b, k]) over the row's chunks:
// the largest key, and on ties the first index (see kernels/argmax_partial.wgsl for the key and the NaN rule).
// Threads: one workgroup of WG threads per row; threads stride over the n_chunks partials, then a tree reduction.
// Reference: runtime/reference/data.ts argmax. Upstream: torch.argmax over the vocabulary in greedy generation.
// Limits: B ≤ 65535·65535 (grid folded); any n_chunks ≥ 1; WG a power of two.
override WG: u32 = 64;

struct Params { batch: u32, n_chunks: u32 }

@group(0) @binding(0) var<storage, read> part_key: array<u32>;
@group(0) @binding(1) var<storage, read> part_idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> keys: array<u32, WG>;
var<workgroup> idxs: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.y * nwg.x + wid.x;
  if (b >= params.batch) { return; }
  var best_key = 0u;
  var best_idx = 0xffffffffu;
  for (var k = lid; k < params.n_chunks; k += WG) {
    let key = part_key[b * params.n_chunks + k];
    let idx = part_idx[b * params.n_chunks + k];
    if (key > best_key || (key == best_key && idx < best_idx)) { best_key = key; best_idx = idx; }
  }
  keys[lid] = best_key;
  idxs[lid] = best_idx;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let ok = keys[lid + stride];
      let oi = idxs[lid + stride];
      if (ok > keys[lid] || (ok == keys[lid] && oi < idxs[lid])) { keys[lid] = ok; idxs[lid] = oi; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { y[b] = idxs[0]; }
}
