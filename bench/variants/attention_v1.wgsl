// attention_v1: attention_blocked with the row groups (RG, 4 rows each) and the key block (KB) as override
// constants and loops over private arrays s[g·KB + b], p[…], qt[g·HEAD_DIM + d], acc[…] instead of written-out code.
// Same math and bindings as kernels/attention_blocked.wgsl (grid numSeqs·heads·⌈seqLen/(WG·4·RG)⌉).
// Lost on lavapipe (ViT 1025×16×64, RG 2, KB 4, WG 8): 69 s pipeline compile, 3.6 GFLOP per CPU-second vs
// 6.6 for the written-out form (more spills; the array-of-groups indexing is not fully promoted to registers).
override HEAD_DIM: u32 = 64;
override WG: u32 = 8;
override CAUSAL: bool = false;
override RG: u32 = 2;   // row groups of 4 rows: ROWS = 4·RG
override KB: u32 = 4;   // keys per online-softmax block
const MAX_RG = 4u;
const MAX_KB = 8u;
const MAX_DH = 128u;
const LOG2E = 1.4426950408889634;
const NEG = -3.0e38;
struct Params { seqLen: u32, numSeqs: u32, heads: u32, group: u32, qOffset: u32, qStride: u32, kOffset: u32, kStride: u32, vOffset: u32, vStride: u32, scale: f32, }
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let DH4 = HEAD_DIM / 4u;
  let ROWS = 4u * RG;
  let seqLen = params.seqLen;
  let tilesPerHead = (seqLen + WG * ROWS - 1u) / (WG * ROWS);
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.numSeqs * params.heads * tilesPerHead) { return; }
  let t = tile % tilesPerHead;
  let h = (tile / tilesPerHead) % params.heads;
  let n = tile / (tilesPerHead * params.heads);
  let row0 = (t * WG + lid) * ROWS;
  let hk = h / params.group;
  let seqBase = n * seqLen;
  let c = params.scale * LOG2E;
  var qt: array<vec4<f32>, MAX_RG * MAX_DH>;   // qt[g·HEAD_DIM + d][i] = c · q[row0 + 4g + i][d]
  var acc: array<vec4<f32>, MAX_RG * MAX_DH>;  // same layout
  var m: array<vec4<f32>, MAX_RG>;
  var l: array<vec4<f32>, MAX_RG>;
  var rowv: array<vec4<u32>, MAX_RG>;
  for (var g = 0u; g < RG; g++) {
    rowv[g] = vec4<u32>(row0 + 4u * g) + vec4<u32>(0u, 1u, 2u, 3u);
    m[g] = vec4<f32>(NEG);
    l[g] = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
      let row = min(row0 + 4u * g + i, seqLen - 1u);
      let qb = ((seqBase + row) * params.qStride + params.qOffset) / 4u + h * DH4;
      for (var d4 = 0u; d4 < DH4; d4++) {
        let x = q[qb + d4] * c;
        for (var e = 0u; e < 4u; e++) { qt[g * HEAD_DIM + 4u * d4 + e][i] = x[e]; }
      }
    }
    for (var d = 0u; d < HEAD_DIM; d++) { acc[g * HEAD_DIM + d] = vec4<f32>(0.0); }
  }

  var kEnd = seqLen;
  if (CAUSAL) { kEnd = min((t + 1u) * WG * ROWS, seqLen); }
  let kStride4 = params.kStride / 4u;
  let vStride4 = params.vStride / 4u;
  let kb0 = (seqBase * params.kStride + params.kOffset) / 4u + hk * DH4;
  let vb0 = (seqBase * params.vStride + params.vOffset) / 4u + hk * DH4;
  for (var j0 = 0u; j0 < kEnd; j0 += KB) {
    var s: array<vec4<f32>, MAX_RG * MAX_KB>;
    var koff: array<u32, MAX_KB>;
    for (var b = 0u; b < KB; b++) { koff[b] = min(j0 + b, kEnd - 1u); }
    for (var b = 0u; b < KB; b++) {
      let kb = kb0 + koff[b] * kStride4;
      for (var g = 0u; g < RG; g++) { s[g * KB + b] = vec4<f32>(0.0); }
      for (var d4 = 0u; d4 < DH4; d4++) {
        let kv = k[kb + d4];
        for (var g = 0u; g < RG; g++) {
          var x = s[g * KB + b];
          for (var e = 0u; e < 4u; e++) { x = fma(qt[g * HEAD_DIM + 4u * d4 + e], vec4<f32>(kv[e]), x); }
          s[g * KB + b] = x;
        }
      }
    }
    var p: array<vec4<f32>, MAX_RG * MAX_KB>;
    var corr: array<vec4<f32>, MAX_RG>;
    for (var g = 0u; g < RG; g++) {
      var mx = m[g];
      for (var b = 0u; b < KB; b++) {
        var sb = s[g * KB + b];
        let masked = (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + b) > rowv[g])) | vec4<bool>(j0 + b >= kEnd);
        sb = select(sb, vec4<f32>(NEG), masked);
        s[g * KB + b] = sb;
        mx = max(mx, sb);
      }
      corr[g] = exp2(m[g] - mx);
      m[g] = mx;
      var ls = vec4<f32>(0.0);
      for (var b = 0u; b < KB; b++) { let pb = exp2(s[g * KB + b] - mx); p[g * KB + b] = pb; ls += pb; }
      l[g] = l[g] * corr[g] + ls;
    }
    for (var d4 = 0u; d4 < DH4; d4++) {
      var vv: array<vec4<f32>, MAX_KB>;
      for (var b = 0u; b < KB; b++) { vv[b] = v[vb0 + koff[b] * vStride4 + d4]; }
      for (var g = 0u; g < RG; g++) {
        for (var e = 0u; e < 4u; e++) {
          var a = acc[g * HEAD_DIM + 4u * d4 + e] * corr[g];
          for (var b = 0u; b < KB; b++) { a = fma(p[g * KB + b], vec4<f32>(vv[b][e]), a); }
          acc[g * HEAD_DIM + 4u * d4 + e] = a;
        }
      }
    }
  }
  let outRow4 = params.heads * DH4;
  for (var g = 0u; g < RG; g++) {
    let inv = 1.0 / l[g];
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + 4u * g + i;
      if (row < seqLen) {
        let ob = (seqBase + row) * outRow4 + h * DH4;
        for (var d4 = 0u; d4 < DH4; d4++) {
          let b = g * HEAD_DIM + 4u * d4;
          out[ob + d4] = vec4<f32>(acc[b][i], acc[b + 1u][i], acc[b + 2u][i], acc[b + 3u][i]) * inv[i];
        }
      }
    }
  }
}
