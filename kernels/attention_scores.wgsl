// attention_scores (the first GEMM of attention as GEMMs, the cpu profile's non-causal attention): for batch entry
// z = z0 + wid.z — sequence n = ⌊z / heads⌋, query head h = z % heads, kv head hk = ⌊h / group⌋ —
//   s[wid.z, i, j] = scale · Σ_d q[n·seqLen + i, h·Dh + d] · k[n·seqLen + j, hk·Dh + d],   i, j < seqLen
// q and k are column windows of row-major matrices (element (row, c) at x[row·xStride + xOffset + c]); s is
// [chunk, seqLen, sStride] (sStride ≥ seqLen; columns past seqLen are not written). runtime/ops/attention_gemm.ts
// runs this, kernels/attention_softmax_stats.wgsl and kernels/attention_pv.wgsl for chunks of batch entries.
// Threads: kernels/linear_shuffle.wgsl's GEMM with q as x and k as the weight rows: an 8×8 workgroup, thread
// (tx, ty) owns query rows i0 + ty + 8·a (a < 16: 128 rows per workgroup, each gathered k value serving 16) and keys
// j0 + tx + 8·b (b < 8); per 4 d lane tx loads the vec4s of q rows i0 + 8·tx and i0 + 8·(tx + 8) once and the 8 lanes of a row of threads hand it out by subgroupShuffle (lavapipe pays per load
// instruction and lane, so each q value is loaded once per subgroup), and every thread loads the vec4 of its 8 keys.
// Where the subgroup is not 8 consecutive lanes in tx order (kernels/include/row_lanes.wgsl) or SHARE_X is false,
// every thread loads q itself.
// Reference: runtime/reference/attention.ts attention (through the op). Upstream: InternAttention._naive_attn
// (modeling_intern_vit.py): attn = (q * scale) @ k.transpose(-2, -1).
// Limits: needs the `subgroups` feature; HEAD_DIM % 4 == 0; offsets and strides multiples of 4 (vec4 loads);
// grid [⌈seqLen/64⌉, ⌈seqLen/128⌉, chunk] ≤ 65535 each.
enable subgroups;
diagnostic(off, subgroup_uniformity);
// #include "row_lanes.wgsl"

override HEAD_DIM: u32 = 64;
override SHARE_X: bool = true;
const WG: u32 = 8u; // threads per row of the workgroup
const RA: u32 = 16u; // query rows per thread: lane tx loads rows a = tx and a = tx + 8 for its row of threads
const TN: u32 = 8u; // keys per thread

struct Params { seqLen: u32, heads: u32, group: u32, z0: u32, qOffset: u32, qStride: u32, kOffset: u32, kStride: u32, sStride: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> s: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<private> acc: array<array<f32, TN>, RA>;
var<private> krow: array<u32, TN>; // vec4 index of each owned key's first dims
var<private> kv: array<vec4<f32>, TN>; // the current 4 dims of each owned key

fn accumulate(a: u32, xs: vec4<f32>) {
  for (var b = 0u; b < TN; b++) { acc[a][b] += dot(xs, kv[b]); }
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) lidx: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  let T = params.seqLen;
  let D4 = HEAD_DIM / 4u;
  let z = params.z0 + wid.z;
  let n = z / params.heads;
  let h = z % params.heads;
  let hk = h / params.group;
  let j0 = wid.x * WG * TN + lid.x;
  let i0 = wid.y * WG * RA + lid.y;
  if (wid.x * WG * TN >= T || wid.y * WG * RA >= T) { return; }

  let lanes_of_row = row_lanes(lid.x, lidx, lane, lanes);
  let base = lanes_of_row.base;
  let sharing = lanes_of_row.sharing;

  let qBase = params.qOffset / 4u + h * D4;
  let kBase = params.kOffset / 4u + hk * D4;
  for (var b = 0u; b < TN; b++) { krow[b] = (n * T + min(j0 + WG * b, T - 1u)) * (params.kStride / 4u) + kBase; } // tails: clamp loads, guard stores
  for (var a = 0u; a < RA; a++) { for (var b = 0u; b < TN; b++) { acc[a][b] = 0.0; } }

  let live_groups = live_row_groups(T, wid.y * WG * RA); // the last tile of rows skips its empty groups
  if (sharing) {
    let own = (n * T + min(i0 + WG * lid.x, T - 1u)) * (params.qStride / 4u) + qBase;
    let own2 = (n * T + min(i0 + WG * (lid.x + WG), T - 1u)) * (params.qStride / 4u) + qBase;
    for (var d4 = 0u; d4 < D4; d4++) {
      for (var b = 0u; b < TN; b++) { kv[b] = k[krow[b] + d4]; }
      let xq = q[own + d4];
      for (var a = 0u; a < WG; a++) { if (a < live_groups) { accumulate(a, subgroupShuffle(xq, base + a)); } }
      if (live_groups > WG) {
        let xq2 = q[own2 + d4];
        for (var a = 0u; a < WG; a++) { if (a + WG < live_groups) { accumulate(a + WG, subgroupShuffle(xq2, base + a)); } }
      }
    }
  } else {
    var qrow: array<u32, RA>;
    for (var a = 0u; a < RA; a++) { qrow[a] = (n * T + min(i0 + WG * a, T - 1u)) * (params.qStride / 4u) + qBase; }
    for (var d4 = 0u; d4 < D4; d4++) {
      for (var b = 0u; b < TN; b++) { kv[b] = k[krow[b] + d4]; }
      for (var a = 0u; a < RA; a++) { if (a < live_groups) { accumulate(a, q[qrow[a] + d4]); } }
    }
  }

  let sBase = wid.z * T * params.sStride;
  for (var a = 0u; a < RA; a++) {
    let i = i0 + WG * a;
    if (i >= T) { break; }
    for (var b = 0u; b < TN; b++) {
      let j = j0 + WG * b;
      if (j < T) { s[sBase + i * params.sStride + j] = acc[a][b] * params.scale; }
    }
  }
}
