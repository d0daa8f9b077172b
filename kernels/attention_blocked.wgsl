// attention_blocked (prefill, flash style, tuned for CPU WebGPU adapters such as lavapipe): same math as
// attention.wgsl — for each sequence n, query head h, row i (global row r = n·seqLen + i):
//   s[j]    = scale · Σ_d q[r, h·Dh + d] · k[n·seqLen + j, hk·Dh + d],   hk = ⌊h / group⌋ (GQA), group = Hq/Hkv
//   o[r, h·Dh + d] = Σ_j softmax_j(s)[j] · v[n·seqLen + j, hk·Dh + d],   j < seqLen, or j ≤ i when CAUSAL
// q, k, v are column windows of row-major matrices: element (row, c) is x[row·xStride + xOffset + c] (floats).
// Online softmax in f32 (running max m, sum l, accumulator acc; no T×T matrix), exp2 with log2(e) folded into q.
// Threads: one invocation owns ROWS = 8 consecutive query rows of one (sequence, head), held transposed as two
// groups of 4 (qa[d] = rows 0..3 of column d, qb[d] = rows 4..7), so every softmax/accumulator op is a vec4 over
// rows and every K/V scalar loaded serves 8 FMAs. Keys are processed in blocks of KB = 8: 8 scores per row in
// registers, one max / one rescale exp2 / one acc·corr per block instead of per key. The key loop bound is the
// same for the whole workgroup (causal: the tile's last row, masked per row), so K/V addresses are uniform and
// lavapipe turns each load into one scalar load + broadcast instead of a per-lane gather. No workgroup memory, no
// barriers. A workgroup covers WG·8 rows (WG = 8 = lavapipe's SIMD width is the measured best); the grid is
// numSeqs · heads · ⌈seqLen / (WG·8)⌉ workgroups (x may be folded into y by the runtime).
// The per-group and per-key code is written out (not loops over arrays of groups/keys): the loop form compiled
// for ~70 s on lavapipe and spilled more; this form compiles in a few seconds with a cold shader cache.
// Reference: runtime/reference/attention.ts attention. Upstream: InternAttention._naive_attn
// (modeling_intern_vit.py, no mask) and Qwen2Attention (modeling_qwen2.py, causal, repeat_kv).
// Limits: HEAD_DIM % 4 == 0 and ≤ 128; xOffset, xStride multiples of 4 (vec4 loads); every query row sees at
// least one key; numSeqs·seqLen·max(stride) < 2^32. Rows past the end of a sequence compute a copy of its last
// row and are not stored; keys past the end (block tail) are clamped to the last key and masked.
override HEAD_DIM: u32 = 64;
override WG: u32 = 8;
override CAUSAL: bool = false;
const ROWS = 8u; // two vec4 row groups (a, b)
const KB = 8u;   // keys per online-softmax block (written out below)
const MAX_DH = 128u;
const LOG2E = 1.4426950408889634;
const NEG = -3.0e38;
struct Params {
  seqLen: u32,
  numSeqs: u32,
  heads: u32,
  group: u32,
  qOffset: u32,
  qStride: u32,
  kOffset: u32,
  kStride: u32,
  vOffset: u32,
  vStride: u32,
  scale: f32,
}
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let DH4 = HEAD_DIM / 4u;
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
  let ra = vec4<u32>(row0 + 0u) + vec4<u32>(0u, 1u, 2u, 3u);
  var qa: array<vec4<f32>, MAX_DH>;
  var aa: array<vec4<f32>, MAX_DH>;
  var ma = vec4<f32>(NEG);
  var la = vec4<f32>(0.0);
  let rb = vec4<u32>(row0 + 4u) + vec4<u32>(0u, 1u, 2u, 3u);
  var qb: array<vec4<f32>, MAX_DH>;
  var ab: array<vec4<f32>, MAX_DH>;
  var mb = vec4<f32>(NEG);
  var lb = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    let ba = ((seqBase + min(row0 + 0u + i, seqLen - 1u)) * params.qStride + params.qOffset) / 4u + h * DH4;
    let bb = ((seqBase + min(row0 + 4u + i, seqLen - 1u)) * params.qStride + params.qOffset) / 4u + h * DH4;
    for (var d4 = 0u; d4 < DH4; d4++) {
      let xa = q[ba + d4] * c;
      qa[4u * d4][i] = xa.x; qa[4u * d4 + 1u][i] = xa.y; qa[4u * d4 + 2u][i] = xa.z; qa[4u * d4 + 3u][i] = xa.w;
      let xb = q[bb + d4] * c;
      qb[4u * d4][i] = xb.x; qb[4u * d4 + 1u][i] = xb.y; qb[4u * d4 + 2u][i] = xb.z; qb[4u * d4 + 3u][i] = xb.w;
    }
  }
  for (var d = 0u; d < HEAD_DIM; d++) { aa[d] = vec4<f32>(0.0); ab[d] = vec4<f32>(0.0); }
  var kEnd = seqLen;
  if (CAUSAL) { kEnd = min((t + 1u) * WG * ROWS, seqLen); }
  let kStride4 = params.kStride / 4u;
  let vStride4 = params.vStride / 4u;
  let kb0 = (seqBase * params.kStride + params.kOffset) / 4u + hk * DH4;
  let vb0 = (seqBase * params.vStride + params.vOffset) / 4u + hk * DH4;
  for (var j0 = 0u; j0 < kEnd; j0 += KB) {
    let o0 = min(j0 + 0u, kEnd - 1u);
    let k0 = kb0 + o0 * kStride4;
    var sa0 = vec4<f32>(0.0); var sb0 = vec4<f32>(0.0);
    let o1 = min(j0 + 1u, kEnd - 1u);
    let k1 = kb0 + o1 * kStride4;
    var sa1 = vec4<f32>(0.0); var sb1 = vec4<f32>(0.0);
    let o2 = min(j0 + 2u, kEnd - 1u);
    let k2 = kb0 + o2 * kStride4;
    var sa2 = vec4<f32>(0.0); var sb2 = vec4<f32>(0.0);
    let o3 = min(j0 + 3u, kEnd - 1u);
    let k3 = kb0 + o3 * kStride4;
    var sa3 = vec4<f32>(0.0); var sb3 = vec4<f32>(0.0);
    let o4 = min(j0 + 4u, kEnd - 1u);
    let k4 = kb0 + o4 * kStride4;
    var sa4 = vec4<f32>(0.0); var sb4 = vec4<f32>(0.0);
    let o5 = min(j0 + 5u, kEnd - 1u);
    let k5 = kb0 + o5 * kStride4;
    var sa5 = vec4<f32>(0.0); var sb5 = vec4<f32>(0.0);
    let o6 = min(j0 + 6u, kEnd - 1u);
    let k6 = kb0 + o6 * kStride4;
    var sa6 = vec4<f32>(0.0); var sb6 = vec4<f32>(0.0);
    let o7 = min(j0 + 7u, kEnd - 1u);
    let k7 = kb0 + o7 * kStride4;
    var sa7 = vec4<f32>(0.0); var sb7 = vec4<f32>(0.0);
    for (var d4 = 0u; d4 < DH4; d4++) {
      let x0 = k[k0 + d4];
      sa0 = fma(qa[4u * d4 + 3u], vec4<f32>(x0.w), fma(qa[4u * d4 + 2u], vec4<f32>(x0.z), fma(qa[4u * d4 + 1u], vec4<f32>(x0.y), fma(qa[4u * d4], vec4<f32>(x0.x), sa0))));
      sb0 = fma(qb[4u * d4 + 3u], vec4<f32>(x0.w), fma(qb[4u * d4 + 2u], vec4<f32>(x0.z), fma(qb[4u * d4 + 1u], vec4<f32>(x0.y), fma(qb[4u * d4], vec4<f32>(x0.x), sb0))));
      let x1 = k[k1 + d4];
      sa1 = fma(qa[4u * d4 + 3u], vec4<f32>(x1.w), fma(qa[4u * d4 + 2u], vec4<f32>(x1.z), fma(qa[4u * d4 + 1u], vec4<f32>(x1.y), fma(qa[4u * d4], vec4<f32>(x1.x), sa1))));
      sb1 = fma(qb[4u * d4 + 3u], vec4<f32>(x1.w), fma(qb[4u * d4 + 2u], vec4<f32>(x1.z), fma(qb[4u * d4 + 1u], vec4<f32>(x1.y), fma(qb[4u * d4], vec4<f32>(x1.x), sb1))));
      let x2 = k[k2 + d4];
      sa2 = fma(qa[4u * d4 + 3u], vec4<f32>(x2.w), fma(qa[4u * d4 + 2u], vec4<f32>(x2.z), fma(qa[4u * d4 + 1u], vec4<f32>(x2.y), fma(qa[4u * d4], vec4<f32>(x2.x), sa2))));
      sb2 = fma(qb[4u * d4 + 3u], vec4<f32>(x2.w), fma(qb[4u * d4 + 2u], vec4<f32>(x2.z), fma(qb[4u * d4 + 1u], vec4<f32>(x2.y), fma(qb[4u * d4], vec4<f32>(x2.x), sb2))));
      let x3 = k[k3 + d4];
      sa3 = fma(qa[4u * d4 + 3u], vec4<f32>(x3.w), fma(qa[4u * d4 + 2u], vec4<f32>(x3.z), fma(qa[4u * d4 + 1u], vec4<f32>(x3.y), fma(qa[4u * d4], vec4<f32>(x3.x), sa3))));
      sb3 = fma(qb[4u * d4 + 3u], vec4<f32>(x3.w), fma(qb[4u * d4 + 2u], vec4<f32>(x3.z), fma(qb[4u * d4 + 1u], vec4<f32>(x3.y), fma(qb[4u * d4], vec4<f32>(x3.x), sb3))));
      let x4 = k[k4 + d4];
      sa4 = fma(qa[4u * d4 + 3u], vec4<f32>(x4.w), fma(qa[4u * d4 + 2u], vec4<f32>(x4.z), fma(qa[4u * d4 + 1u], vec4<f32>(x4.y), fma(qa[4u * d4], vec4<f32>(x4.x), sa4))));
      sb4 = fma(qb[4u * d4 + 3u], vec4<f32>(x4.w), fma(qb[4u * d4 + 2u], vec4<f32>(x4.z), fma(qb[4u * d4 + 1u], vec4<f32>(x4.y), fma(qb[4u * d4], vec4<f32>(x4.x), sb4))));
      let x5 = k[k5 + d4];
      sa5 = fma(qa[4u * d4 + 3u], vec4<f32>(x5.w), fma(qa[4u * d4 + 2u], vec4<f32>(x5.z), fma(qa[4u * d4 + 1u], vec4<f32>(x5.y), fma(qa[4u * d4], vec4<f32>(x5.x), sa5))));
      sb5 = fma(qb[4u * d4 + 3u], vec4<f32>(x5.w), fma(qb[4u * d4 + 2u], vec4<f32>(x5.z), fma(qb[4u * d4 + 1u], vec4<f32>(x5.y), fma(qb[4u * d4], vec4<f32>(x5.x), sb5))));
      let x6 = k[k6 + d4];
      sa6 = fma(qa[4u * d4 + 3u], vec4<f32>(x6.w), fma(qa[4u * d4 + 2u], vec4<f32>(x6.z), fma(qa[4u * d4 + 1u], vec4<f32>(x6.y), fma(qa[4u * d4], vec4<f32>(x6.x), sa6))));
      sb6 = fma(qb[4u * d4 + 3u], vec4<f32>(x6.w), fma(qb[4u * d4 + 2u], vec4<f32>(x6.z), fma(qb[4u * d4 + 1u], vec4<f32>(x6.y), fma(qb[4u * d4], vec4<f32>(x6.x), sb6))));
      let x7 = k[k7 + d4];
      sa7 = fma(qa[4u * d4 + 3u], vec4<f32>(x7.w), fma(qa[4u * d4 + 2u], vec4<f32>(x7.z), fma(qa[4u * d4 + 1u], vec4<f32>(x7.y), fma(qa[4u * d4], vec4<f32>(x7.x), sa7))));
      sb7 = fma(qb[4u * d4 + 3u], vec4<f32>(x7.w), fma(qb[4u * d4 + 2u], vec4<f32>(x7.z), fma(qb[4u * d4 + 1u], vec4<f32>(x7.y), fma(qb[4u * d4], vec4<f32>(x7.x), sb7))));
    }
    let dead0 = vec4<bool>(j0 + 0u >= kEnd);
    let dead1 = vec4<bool>(j0 + 1u >= kEnd);
    let dead2 = vec4<bool>(j0 + 2u >= kEnd);
    let dead3 = vec4<bool>(j0 + 3u >= kEnd);
    let dead4 = vec4<bool>(j0 + 4u >= kEnd);
    let dead5 = vec4<bool>(j0 + 5u >= kEnd);
    let dead6 = vec4<bool>(j0 + 6u >= kEnd);
    let dead7 = vec4<bool>(j0 + 7u >= kEnd);
    sa0 = select(sa0, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 0u) > ra)) | dead0);
    sa1 = select(sa1, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 1u) > ra)) | dead1);
    sa2 = select(sa2, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 2u) > ra)) | dead2);
    sa3 = select(sa3, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 3u) > ra)) | dead3);
    sa4 = select(sa4, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 4u) > ra)) | dead4);
    sa5 = select(sa5, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 5u) > ra)) | dead5);
    sa6 = select(sa6, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 6u) > ra)) | dead6);
    sa7 = select(sa7, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 7u) > ra)) | dead7);
    let na = max(ma, max(max(max(max(max(max(max(sa0, sa1), sa2), sa3), sa4), sa5), sa6), sa7));
    let ca = exp2(ma - na);
    ma = na;
    let pa0 = exp2(sa0 - na);
    let pa1 = exp2(sa1 - na);
    let pa2 = exp2(sa2 - na);
    let pa3 = exp2(sa3 - na);
    let pa4 = exp2(sa4 - na);
    let pa5 = exp2(sa5 - na);
    let pa6 = exp2(sa6 - na);
    let pa7 = exp2(sa7 - na);
    la = la * ca + (pa0 + pa1 + pa2 + pa3 + pa4 + pa5 + pa6 + pa7);
    sb0 = select(sb0, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 0u) > rb)) | dead0);
    sb1 = select(sb1, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 1u) > rb)) | dead1);
    sb2 = select(sb2, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 2u) > rb)) | dead2);
    sb3 = select(sb3, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 3u) > rb)) | dead3);
    sb4 = select(sb4, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 4u) > rb)) | dead4);
    sb5 = select(sb5, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 5u) > rb)) | dead5);
    sb6 = select(sb6, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 6u) > rb)) | dead6);
    sb7 = select(sb7, vec4<f32>(NEG), (vec4<bool>(CAUSAL) & (vec4<u32>(j0 + 7u) > rb)) | dead7);
    let nb = max(mb, max(max(max(max(max(max(max(sb0, sb1), sb2), sb3), sb4), sb5), sb6), sb7));
    let cb = exp2(mb - nb);
    mb = nb;
    let pb0 = exp2(sb0 - nb);
    let pb1 = exp2(sb1 - nb);
    let pb2 = exp2(sb2 - nb);
    let pb3 = exp2(sb3 - nb);
    let pb4 = exp2(sb4 - nb);
    let pb5 = exp2(sb5 - nb);
    let pb6 = exp2(sb6 - nb);
    let pb7 = exp2(sb7 - nb);
    lb = lb * cb + (pb0 + pb1 + pb2 + pb3 + pb4 + pb5 + pb6 + pb7);
    let w0 = vb0 + o0 * vStride4;
    let w1 = vb0 + o1 * vStride4;
    let w2 = vb0 + o2 * vStride4;
    let w3 = vb0 + o3 * vStride4;
    let w4 = vb0 + o4 * vStride4;
    let w5 = vb0 + o5 * vStride4;
    let w6 = vb0 + o6 * vStride4;
    let w7 = vb0 + o7 * vStride4;
    for (var d4 = 0u; d4 < DH4; d4++) {
      let y0 = v[w0 + d4];
      let y1 = v[w1 + d4];
      let y2 = v[w2 + d4];
      let y3 = v[w3 + d4];
      let y4 = v[w4 + d4];
      let y5 = v[w5 + d4];
      let y6 = v[w6 + d4];
      let y7 = v[w7 + d4];
      for (var e = 0u; e < 4u; e++) {
        let d = 4u * d4 + e;
        aa[d] = fma(pa7, vec4<f32>(y7[e]), fma(pa6, vec4<f32>(y6[e]), fma(pa5, vec4<f32>(y5[e]), fma(pa4, vec4<f32>(y4[e]), fma(pa3, vec4<f32>(y3[e]), fma(pa2, vec4<f32>(y2[e]), fma(pa1, vec4<f32>(y1[e]), fma(pa0, vec4<f32>(y0[e]), aa[d] * ca))))))));
        ab[d] = fma(pb7, vec4<f32>(y7[e]), fma(pb6, vec4<f32>(y6[e]), fma(pb5, vec4<f32>(y5[e]), fma(pb4, vec4<f32>(y4[e]), fma(pb3, vec4<f32>(y3[e]), fma(pb2, vec4<f32>(y2[e]), fma(pb1, vec4<f32>(y1[e]), fma(pb0, vec4<f32>(y0[e]), ab[d] * cb))))))));
      }
    }
  }
  let outRow4 = params.heads * DH4;
  let ia = 1.0 / la;
  let ib = 1.0 / lb;
  for (var i = 0u; i < 4u; i++) {
    if (row0 + 0u + i < seqLen) {
      let ob = (seqBase + row0 + 0u + i) * outRow4 + h * DH4;
      for (var d4 = 0u; d4 < DH4; d4++) { out[ob + d4] = vec4<f32>(aa[4u * d4][i], aa[4u * d4 + 1u][i], aa[4u * d4 + 2u][i], aa[4u * d4 + 3u][i]) * ia[i]; }
    }
    if (row0 + 4u + i < seqLen) {
      let ob = (seqBase + row0 + 4u + i) * outRow4 + h * DH4;
      for (var d4 = 0u; d4 < DH4; d4++) { out[ob + d4] = vec4<f32>(ab[4u * d4][i], ab[4u * d4 + 1u][i], ab[4u * d4 + 2u][i], ab[4u * d4 + 3u][i]) * ib[i]; }
    }
  }
}
