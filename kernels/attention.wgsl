// attention (prefill, flash style): for each sequence n, query head h, row i (global row r = n·seqLen + i):
//   s[j]    = scale · Σ_d q[r, h·Dh + d] · k[n·seqLen + j, hk·Dh + d],   hk = ⌊h / group⌋ (GQA), group = Hq/Hkv
//   o[r, h·Dh + d] = Σ_j softmax_j(s)[j] · v[n·seqLen + j, hk·Dh + d],   j < seqLen, or j ≤ i when CAUSAL
// q, k, v are column windows of row-major matrices: element (row, c) is x[row·xStride + xOffset + c] (all in floats),
// so the ViT reads Q/K/V straight out of its fused qkv [T, 3·D] and Qwen2 from its separate projections.
// Online softmax (running max m, sum l, accumulator acc in f32 registers; no T×T matrix), exp2 with log2(e)
// folded into the scale.
// Threads: one invocation owns ROWS consecutive query rows of one (sequence, head) and streams every key/value
// row of that head once as vec4 loads, reusing each load for its ROWS rows (register blocking: on lavapipe every
// storage load is a per-lane scalar load, so loads per FMA is what counts; no workgroup memory, no barriers).
// A workgroup covers WG·ROWS consecutive rows; the grid is numSeqs · heads · ⌈seqLen / (WG·ROWS)⌉ workgroups
// (x may be folded into y by the runtime).
// Reference: runtime/reference/attention.ts attention. Upstream: InternAttention._naive_attn
// (modeling_intern_vit.py, no mask) and Qwen2Attention (modeling_qwen2.py, causal, repeat_kv).
// Limits: HEAD_DIM % 4 == 0 and ≤ 128; ROWS ≤ 4; xOffset, xStride multiples of 4 (vec4 loads); every query row
// sees at least one key (true for causal and non-causal); numSeqs·seqLen·max(stride) < 2^32.
override HEAD_DIM: u32 = 64;
override ROWS: u32 = 1;
override WG: u32 = 64;
override CAUSAL: bool = false;

const MAX_DH4 = 32u;
const MAX_ROWS = 4u;
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
  if (row0 >= seqLen) { return; }
  let hk = h / params.group;
  let seqBase = n * seqLen;

  // q rows, pre-scaled so that scores come out in log2 units; rows past the end repeat the last row.
  let c = params.scale * LOG2E;
  var qr: array<vec4<f32>, MAX_ROWS * MAX_DH4>;
  var m: array<f32, MAX_ROWS>;
  var l: array<f32, MAX_ROWS>;
  var acc: array<vec4<f32>, MAX_ROWS * MAX_DH4>;
  for (var r = 0u; r < ROWS; r++) {
    let row = min(row0 + r, seqLen - 1u);
    let qb = ((seqBase + row) * params.qStride + params.qOffset) / 4u + h * DH4;
    for (var d = 0u; d < DH4; d++) {
      qr[r * DH4 + d] = q[qb + d] * c;
      acc[r * DH4 + d] = vec4<f32>(0.0);
    }
    m[r] = NEG;
    l[r] = 0.0;
  }

  var kEnd = seqLen;
  if (CAUSAL) { kEnd = min(row0 + ROWS, seqLen); }
  let kStride4 = params.kStride / 4u;
  let vStride4 = params.vStride / 4u;
  var kb = (seqBase * params.kStride + params.kOffset) / 4u + hk * DH4;
  var vb = (seqBase * params.vStride + params.vOffset) / 4u + hk * DH4;
  for (var j = 0u; j < kEnd; j++) {
    var s = array<vec4<f32>, MAX_ROWS>();
    for (var d = 0u; d < DH4; d++) {
      let kv = k[kb + d];
      for (var r = 0u; r < ROWS; r++) { s[r] = fma(qr[r * DH4 + d], kv, s[r]); }
    }
    var p: array<f32, MAX_ROWS>;
    var corr: array<f32, MAX_ROWS>;
    for (var r = 0u; r < ROWS; r++) {
      var sr = s[r].x + s[r].y + s[r].z + s[r].w;
      if (CAUSAL && j > row0 + r) { sr = NEG; }
      let mNew = max(m[r], sr);
      corr[r] = exp2(m[r] - mNew);
      p[r] = exp2(sr - mNew);
      l[r] = l[r] * corr[r] + p[r];
      m[r] = mNew;
    }
    for (var d = 0u; d < DH4; d++) {
      let vv = v[vb + d];
      for (var r = 0u; r < ROWS; r++) { acc[r * DH4 + d] = fma(vec4<f32>(p[r]), vv, acc[r * DH4 + d] * corr[r]); }
    }
    kb += kStride4;
    vb += vStride4;
  }

  let outRow4 = params.heads * DH4;
  for (var r = 0u; r < ROWS; r++) {
    if (row0 + r < seqLen) {
      let ob = (seqBase + row0 + r) * outRow4 + h * DH4;
      let inv = 1.0 / l[r];
      for (var d = 0u; d < DH4; d++) { out[ob + d] = acc[r * DH4 + d] * inv; }
    }
  }
}
