// attention_softmax_stats (attention as GEMMs, between kernels/attention_scores.wgsl and kernels/attention_pv.wgsl):
// for every row r = z·seqLen + i of the scores s [chunk, seqLen, sStride],
//   stats[r] = (m, l),  m = max_j s[r, j],  l = Σ_j exp(s[r, j] − m),   j < seqLen
// so that attention_pv forms softmax(s)[r, j] = exp(s[r, j] − m) / l as it loads s (the probabilities are never
// written). One invocation per row, an online max/sum over vec4s of the row (the sum rescaled when the max grows).
// Reference: runtime/reference/attention.ts attention (through the op). Upstream: attn.softmax(dim=-1).
// Limits: sStride % 4 == 0 (vec4 loads; the tail vec4's columns past seqLen are masked); rows < 2^32.
override WG: u32 = 64;

struct Params { seqLen: u32, rows: u32, sStride: u32 }

@group(0) @binding(0) var<storage, read> s: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.y * nwg.x + wid.x) * WG + lid;
  if (r >= params.rows) { return; }
  let T = params.seqLen;
  let base = r * (params.sStride / 4u);
  var m = -3.0e38;
  var l = 0.0;
  for (var j4 = 0u; j4 * 4u < T; j4++) {
    let live = vec4<u32>(4u * j4) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(T);
    let v = select(vec4<f32>(-3.0e38), s[base + j4], live);
    let mNew = max(m, max(max(v.x, v.y), max(v.z, v.w)));
    let e = select(vec4<f32>(0.0), exp(v - mNew), live);
    l = l * exp(m - mNew) + (e.x + e.y + e.z + e.w);
    m = mNew;
  }
  stats[r] = vec2<f32>(m, l);
}
