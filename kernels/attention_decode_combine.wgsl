// attention_decode_combine: merges the split-K partials of attention_decode (log2 units):
//   M = max_c m[b,h,c];  L = Σ_c l[b,h,c] · 2^(m[b,h,c] − M);  out[b, h·Dh + d] = Σ_c acc[b,h,c,d] · 2^(m[b,h,c] − M) / L
// over the splits c < ⌈seq_lens[b] / chunk⌉ that attention_decode wrote (the others are never read).
// Threads: one invocation per (sequence, head, vec4 of Dh); linear index = (wid.y·nwg.x + wid.x)·WG + lid.
// Reference: runtime/reference/attention.ts attentionDecode (the merge is exact up to f32 rounding).
// Upstream: vLLM paged_attention_v2_reduce_kernel.
// Limits: HEAD_DIM % 4 == 0; seq_lens[b] ≤ splits·chunk; a sequence of length 0 gets zeros.
override HEAD_DIM: u32 = 64;
override WG: u32 = 64;

struct Params { numSeqs: u32, heads: u32, splits: u32, chunk: u32 }

@group(0) @binding(0) var<storage, read> acc: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> ml: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> seq_lens: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let DH4 = HEAD_DIM / 4u;
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let bh = i / DH4;
  let d = i % DH4;
  if (bh >= params.numSeqs * params.heads) { return; }
  let b = bh / params.heads;
  let n = min(params.splits, (seq_lens[b] + params.chunk - 1u) / params.chunk);
  let base = bh * params.splits;
  var mx = -3.0e38;
  for (var c = 0u; c < n; c++) { mx = max(mx, ml[base + c].x); }
  var sum = 0.0;
  var o = vec4<f32>(0.0);
  for (var c = 0u; c < n; c++) {
    let e = ml[base + c];
    let w = exp2(e.x - mx);
    sum += e.y * w;
    o = fma(vec4<f32>(w), acc[(base + c) * DH4 + d], o);
  }
  out[bh * DH4 + d] = select(vec4<f32>(0.0), o / sum, n > 0u);
}
