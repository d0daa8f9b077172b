// attention_pv (the second GEMM of attention as GEMMs): for batch entry z = z0 + wid.z (sequence n, head h, kv head
// hk as in kernels/attention_scores.wgsl) and query row i,
//   out[n·seqLen + i, h·Dh + d] = Σ_j exp(s[wid.z, i, j] − m) · v[n·seqLen + j, hk·Dh + d] / l,   j < seqLen
// with (m, l) = stats[wid.z·seqLen + i] from kernels/attention_softmax_stats.wgsl: the softmax is formed as s is
// loaded, and its division applied once per output. v is a column window of a row-major matrix; out is
// [numSeqs·seqLen, heads·Dh].
// Threads: an 8×8 workgroup per 128 query rows × 64 head dims; thread (tx, ty) owns rows i0 + ty + 8·a (a < 16) and
// dims d0 + 8·tx … d0 + 8·tx + 7 (two vec4s of a v row per key: each gathered v value serves 16 rows). Per 4 keys
// lane tx loads the vec4s of s rows i0 + 8·tx and i0 + 8·(tx + 8) once (and their rows' m), exponentiates them, and the row of threads shares it by subgroupShuffle (the
// layout check of kernels/include/row_lanes.wgsl; SHARE_X = false or a failed check loads s per thread).
// Reference: runtime/reference/attention.ts attention (through the op). Upstream: InternAttention._naive_attn:
// x = attn.softmax(dim=-1) @ v.
// Limits: needs the `subgroups` feature; HEAD_DIM % 8 == 0; sStride % 4 == 0 and ≥ seqLen rounded up to 4;
// vOffset, vStride multiples of 4; grid [⌈Dh/64⌉, ⌈seqLen/128⌉, chunk] ≤ 65535 each.
enable subgroups;
diagnostic(off, subgroup_uniformity);
// #include "row_lanes.wgsl"

override HEAD_DIM: u32 = 64;
override SHARE_X: bool = true;
const WG: u32 = 8u; // threads per row of the workgroup
const RA: u32 = 16u; // query rows per thread: 2 per lane of a row of threads
const TD: u32 = 8u; // head dims per thread: two vec4s

struct Params { seqLen: u32, heads: u32, group: u32, z0: u32, vOffset: u32, vStride: u32, sStride: u32 }

@group(0) @binding(0) var<storage, read> s: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

var<private> acc_lo: array<vec4<f32>, RA>; // [a]: dims d .. d+3 of row a
var<private> acc_hi: array<vec4<f32>, RA>; // dims d+4 .. d+7
var<private> vlo: array<vec4<f32>, 4>; // the current 4 keys' v dims d .. d+3
var<private> vhi: array<vec4<f32>, 4>;

/** The probabilities of 4 keys (unnormalized: exp(s − m), 0 past the sequence) times their v rows, into row a. */
fn accumulate(a: u32, p: vec4<f32>) {
  acc_lo[a] += p.x * vlo[0] + p.y * vlo[1] + p.z * vlo[2] + p.w * vlo[3];
  acc_hi[a] += p.x * vhi[0] + p.y * vhi[1] + p.z * vhi[2] + p.w * vhi[3];
}

/** exp(s − m) of 4 keys from j = 4·j4 of a row, 0 for keys past the sequence. */
fn probabilities(x: vec4<f32>, m: f32, j4: u32) -> vec4<f32> {
  let live = vec4<u32>(4u * j4) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.seqLen);
  return select(vec4<f32>(0.0), exp(x - m), live);
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) lidx: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  let T = params.seqLen;
  let z = params.z0 + wid.z;
  let n = z / params.heads;
  let h = z % params.heads;
  let hk = h / params.group;
  let d0 = wid.x * WG * TD + TD * lid.x; // this thread's first dim
  let i0 = wid.y * WG * RA + lid.y;
  if (wid.x * WG * TD >= HEAD_DIM || wid.y * WG * RA >= T) { return; }

  let lanes_of_row = row_lanes(lid.x, lidx, lane, lanes);
  let base = lanes_of_row.base;
  let sharing = lanes_of_row.sharing;

  let dc = min(d0, HEAD_DIM - TD) / 4u; // tails: clamp loads, guard stores
  let vBase = params.vOffset / 4u + hk * (HEAD_DIM / 4u) + dc;
  let vRow = params.vStride / 4u;
  let sRow = params.sStride / 4u;
  let sBase = wid.z * T;
  for (var a = 0u; a < RA; a++) { acc_lo[a] = vec4<f32>(0.0); acc_hi[a] = vec4<f32>(0.0); }
  let J4 = (T + 3u) / 4u;

  let live_groups = live_row_groups(T, wid.y * WG * RA); // the last tile of rows skips its empty groups
  if (sharing) {
    let own = min(i0 + WG * lid.x, T - 1u); // rows a = tx and a = tx + 8
    let own2 = min(i0 + WG * (lid.x + WG), T - 1u);
    let m = stats[sBase + own].x;
    let m2 = stats[sBase + own2].x;
    for (var j4 = 0u; j4 < J4; j4++) {
      for (var c = 0u; c < 4u; c++) {
        let row = (n * T + min(4u * j4 + c, T - 1u)) * vRow + vBase;
        vlo[c] = v[row];
        vhi[c] = v[row + 1u];
      }
      let p = probabilities(s[(sBase + own) * sRow + j4], m, j4);
      for (var a = 0u; a < WG; a++) { if (a < live_groups) { accumulate(a, subgroupShuffle(p, base + a)); } }
      if (live_groups > WG) {
        let p2 = probabilities(s[(sBase + own2) * sRow + j4], m2, j4);
        for (var a = 0u; a < WG; a++) { if (a + WG < live_groups) { accumulate(a + WG, subgroupShuffle(p2, base + a)); } }
      }
    }
  } else {
    var rows: array<u32, RA>;
    var ms: array<f32, RA>;
    for (var a = 0u; a < RA; a++) { rows[a] = min(i0 + WG * a, T - 1u); ms[a] = stats[sBase + rows[a]].x; }
    for (var j4 = 0u; j4 < J4; j4++) {
      for (var c = 0u; c < 4u; c++) {
        let row = (n * T + min(4u * j4 + c, T - 1u)) * vRow + vBase;
        vlo[c] = v[row];
        vhi[c] = v[row + 1u];
      }
      for (var a = 0u; a < RA; a++) { if (a < live_groups) { accumulate(a, probabilities(s[(sBase + rows[a]) * sRow + j4], ms[a], j4)); } }
    }
  }

  if (d0 >= HEAD_DIM) { return; }
  let outRow = params.heads * (HEAD_DIM / 4u);
  for (var a = 0u; a < RA; a++) {
    let i = i0 + WG * a;
    if (i >= T) { break; }
    let inv = 1.0 / stats[sBase + i].y;
    let o = (n * T + i) * outRow + h * (HEAD_DIM / 4u) + d0 / 4u;
    out[o] = acc_lo[a] * inv;
    out[o + 1u] = acc_hi[a] * inv;
  }
}
