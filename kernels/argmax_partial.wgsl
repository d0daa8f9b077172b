// argmax_partial: for row b and chunk k, (part_key, part_idx)[b, k] = the max over v ∈ [k·chunk, min((k+1)·chunk, V))
// of (key(x[b, v]), −v), i.e. the largest value and on ties the first index. key() maps f32 bits to a u32 that
// sorts like the value: −0 → +0 first, NaN → 0xffffffff (NaN beats everything, like torch.argmax), positive values
// set the sign bit, negative values are bit-inverted. Key 0 never comes from a value: it marks "no element".
// Threads: grid [n_chunks, B]; one workgroup of WG threads per (chunk, row), each strides over the chunk keeping its
// best, then a tree reduction in workgroup memory. kernels/argmax_final.wgsl reduces the partials of a row.
// Reference: runtime/reference/data.ts argmax. Upstream: torch.argmax(logits[:, -1, :], dim=-1) in greedy
// generate (GenerationMixin._sample without do_sample).
// Limits: V < 2^32 − 1; B ≤ 65535 and n_chunks ≤ 65535 (no folding: grid y is the row); WG a power of two.
override WG: u32 = 256;

struct Params { vocab: u32, chunk: u32, n_chunks: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> part_key: array<u32>;
@group(0) @binding(2) var<storage, read_write> part_idx: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> keys: array<u32, WG>;
var<workgroup> idxs: array<u32, WG>;

fn sort_key(v: f32) -> u32 {
  var u = bitcast<u32>(v);
  if ((u & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; } // NaN
  if (u == 0x80000000u) { u = 0u; }                               // −0 == +0
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.x;
  let b = wid.y;
  let start = k * params.chunk;
  let end = min(start + params.chunk, params.vocab);
  var best_key = 0u;
  var best_idx = 0xffffffffu;
  for (var v = start + lid; v < end; v += WG) {
    let key = sort_key(x[b * params.vocab + v]);
    if (key > best_key) { best_key = key; best_idx = v; } // v increases: an equal key never replaces
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
  if (lid == 0u) {
    part_key[b * params.n_chunks + k] = keys[0];
    part_idx[b * params.n_chunks + k] = idxs[0];
  }
}
