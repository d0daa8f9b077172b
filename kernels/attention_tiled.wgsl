// attention_tiled (prefill, flash style, for GPUs): same math as attention.wgsl — for each sequence n, query head
// h, row i (global row r = n·seqLen + i):
//   s[j]    = scale · Σ_d q[r, h·Dh + d] · k[n·seqLen + j, hk·Dh + d],   hk = ⌊h / group⌋ (GQA), group = Hq/Hkv
//   o[r, h·Dh + d] = Σ_j softmax_j(s)[j] · v[n·seqLen + j, hk·Dh + d],   j < seqLen, or j ≤ i when CAUSAL
// q, k, v are column windows of row-major matrices: element (row, c) is x[row·xStride + xOffset + c] (floats).
// Online softmax in f32 (running max m, sum l per row), exp2 with log2(e) folded into q.
// Threads: one workgroup per (sequence, head, tile of BQ query rows); grid numSeqs · heads · ⌈seqLen / BQ⌉ (x may
// be folded into y by the runtime). The Q tile (pre-scaled) stays in workgroup memory; the keys stream through in
// tiles of BK rows: K tile → workgroup memory → scores S = Q·Kᵀ [BQ × BK] → workgroup memory (masked) → V tile in
// the same buffer as K → online-softmax update of the output. Two roles per invocation:
//   scores: an item = 2 query rows × 4 keys (keys kq + KQ·u, strided so the lanes of an item row hit different
//           banks), (BQ/2)·(BK/4) items over WG invocations;
//   output: invocation (p, cg) owns query rows 2p, 2p+1 and the vec4 columns cg + C·u < HEAD_DIM/4 (u < 4): at most
//           2 × 16 accumulators; it reads the whole S row pair to get the tile max (each of the C invocations of a
//           row pair computes the same m and l: C× redundant exp2, but no cross-invocation reduction or barrier).
// All loads from global memory are coalesced (consecutive invocations read consecutive vec4 of a row). K and V of
// the next tile are prefetched into registers (≤ 4 vec4 each per invocation) while this tile's output update
// runs, so global latency overlaps compute. Tile rows are padded by one vec4 and S rows by one vec2 so that
// strided lanes fall on different banks. Causal: key tiles entirely above the Q tile's last row are never
// loaded (the key loop stops at min(seqLen, i0 + BQ)); the tiles that reach past a row's diagonal are masked.
// Q tiles are dispatched last-first so that under CAUSAL the longest tiles start first and short ones fill the tail.
// Reference: runtime/reference/attention.ts attention. Upstream: InternAttention._naive_attn
// (modeling_intern_vit.py, no mask) and Qwen2Attention (modeling_qwen2.py, causal, repeat_kv).
// Limits (checked by runtime/ops/attention.ts): HEAD_DIM % 4 == 0 and ≤ 128; BQ even; BK % 4 == 0;
// C ≤ HEAD_DIM/4 and ⌈HEAD_DIM/4 / C⌉ ≤ 4; BK·HEAD_DIM/4 ≤ 4·WG (prefetch registers); workgroup storage
// 16·(BQ + BK)·(HEAD_DIM/4 + 1) + 8·(BQ/2)·(BK + 1) bytes ≤ 16 KiB; xOffset, xStride multiples of 4; every query row
// sees at least one key in the first key tile (key 0); numSeqs·seqLen·max(stride) < 2^32. Rows past the end of a
// sequence compute a copy of its last row and are not stored; keys past the end (last tile) are clamped to its
// last key, and their scores are computed but never read (the output update stops at the last key).
override HEAD_DIM: u32 = 64;
override BQ: u32 = 32;
override BK: u32 = 16;
override C: u32 = 4;
override CAUSAL: bool = false;
override WG: u32 = BQ / 2u * C;
override DH4: u32 = HEAD_DIM / 4u;
override ROW4: u32 = DH4 + 1u;
override KQ: u32 = BK / 4u;
override SROW: u32 = BK + 1u;
override Q_TILE: u32 = BQ * ROW4;
override KV_TILE: u32 = BK * ROW4;
override S_TILE: u32 = BQ / 2u * SROW;
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

var<workgroup> qt: array<vec4<f32>, Q_TILE>;
var<workgroup> kvt: array<vec4<f32>, KV_TILE>;
var<workgroup> st: array<vec2<f32>, S_TILE>; // (row 2p, row 2p + 1) scores of one key

// Element e (= key·DH4 + d4) of the K or V tile that starts at key j0, as a vec4 index into k or v.
fn tileSrc(e: u32, j0: u32, seqBase: u32, stride: u32, offset: u32, hk: u32) -> u32 {
  let j = min(j0 + e / DH4, params.seqLen - 1u);
  return ((seqBase + j) * stride + offset) / 4u + hk * DH4 + e % DH4;
}

// Where element e of a K/V tile lives in kvt (padded rows).
fn tileDst(e: u32) -> u32 {
  return (e / DH4) * ROW4 + e % DH4;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let seqLen = params.seqLen;
  let tilesPerHead = (seqLen + BQ - 1u) / BQ;
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.numSeqs * params.heads * tilesPerHead) { return; }
  let t = tilesPerHead - 1u - tile % tilesPerHead;
  let h = (tile / tilesPerHead) % params.heads;
  let n = tile / (tilesPerHead * params.heads);
  let i0 = t * BQ;
  let hk = h / params.group;
  let seqBase = n * seqLen;

  // Q tile, pre-scaled so scores come out in log2 units; rows past the end repeat the last row.
  let c = params.scale * LOG2E;
  for (var e = lid; e < BQ * DH4; e += WG) {
    let row = min(i0 + e / DH4, seqLen - 1u);
    qt[tileDst(e)] = q[((seqBase + row) * params.qStride + params.qOffset) / 4u + h * DH4 + e % DH4] * c;
  }

  var kEnd = seqLen;
  if (CAUSAL) { kEnd = min(seqLen, i0 + BQ); }

  // This invocation's share of a K/V tile: elements lid + WG·u, u < 4 (the op checks BK·DH4 ≤ 4·WG).
  let E = BK * DH4;
  let e0 = lid;
  let e1 = lid + WG;
  let e2 = lid + 2u * WG;
  let e3 = lid + 3u * WG;
  var k0: vec4<f32>; var k1: vec4<f32>; var k2: vec4<f32>; var k3: vec4<f32>;
  var v0: vec4<f32>; var v1: vec4<f32>; var v2: vec4<f32>; var v3: vec4<f32>;
  let ks = params.kStride; let ko = params.kOffset;
  let vs = params.vStride; let vo = params.vOffset;
  if (e0 < E) { k0 = k[tileSrc(e0, 0u, seqBase, ks, ko, hk)]; v0 = v[tileSrc(e0, 0u, seqBase, vs, vo, hk)]; }
  if (e1 < E) { k1 = k[tileSrc(e1, 0u, seqBase, ks, ko, hk)]; v1 = v[tileSrc(e1, 0u, seqBase, vs, vo, hk)]; }
  if (e2 < E) { k2 = k[tileSrc(e2, 0u, seqBase, ks, ko, hk)]; v2 = v[tileSrc(e2, 0u, seqBase, vs, vo, hk)]; }
  if (e3 < E) { k3 = k[tileSrc(e3, 0u, seqBase, ks, ko, hk)]; v3 = v[tileSrc(e3, 0u, seqBase, vs, vo, hk)]; }

  // output role: rows 2p, 2p + 1 of the tile, vec4 columns cg + C·u
  let p = lid / C;
  let cg = lid % C;
  let has1 = cg + C < DH4;
  let has2 = cg + 2u * C < DH4;
  let has3 = cg + 3u * C < DH4;
  var m = vec2<f32>(NEG);
  var l = vec2<f32>(0.0);
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);

  for (var j0 = 0u; j0 < kEnd; j0 += BK) {
    if (e0 < E) { kvt[tileDst(e0)] = k0; }
    if (e1 < E) { kvt[tileDst(e1)] = k1; }
    if (e2 < E) { kvt[tileDst(e2)] = k2; }
    if (e3 < E) { kvt[tileDst(e3)] = k3; }
    workgroupBarrier(); // Q tile (first pass) and K tile in place

    for (var it = lid; it < BQ / 2u * KQ; it += WG) {
      let sp = it / KQ;
      let kq = it % KQ;
      let qa = 2u * sp * ROW4;
      let qb = qa + ROW4;
      let r0 = kq * ROW4;
      let r1 = r0 + KQ * ROW4;
      let r2 = r1 + KQ * ROW4;
      let r3 = r2 + KQ * ROW4;
      var sa = vec4<f32>(0.0);
      var sb = vec4<f32>(0.0);
      for (var d4 = 0u; d4 < DH4; d4++) {
        let xa = qt[qa + d4];
        let xb = qt[qb + d4];
        let y0 = kvt[r0 + d4];
        let y1 = kvt[r1 + d4];
        let y2 = kvt[r2 + d4];
        let y3 = kvt[r3 + d4];
        sa += vec4<f32>(dot(xa, y0), dot(xa, y1), dot(xa, y2), dot(xa, y3));
        sb += vec4<f32>(dot(xb, y0), dot(xb, y1), dot(xb, y2), dot(xb, y3));
      }
      let j = vec4<u32>(j0 + kq) + vec4<u32>(0u, KQ, 2u * KQ, 3u * KQ);
      let ra = i0 + 2u * sp;
      sa = select(sa, vec4<f32>(NEG), vec4<bool>(CAUSAL) & (j > vec4<u32>(ra)));
      sb = select(sb, vec4<f32>(NEG), vec4<bool>(CAUSAL) & (j > vec4<u32>(ra + 1u)));
      let sbase = sp * SROW + kq;
      st[sbase] = vec2<f32>(sa.x, sb.x);
      st[sbase + KQ] = vec2<f32>(sa.y, sb.y);
      st[sbase + 2u * KQ] = vec2<f32>(sa.z, sb.z);
      st[sbase + 3u * KQ] = vec2<f32>(sa.w, sb.w);
    }
    workgroupBarrier(); // S complete, K tile no longer read

    if (e0 < E) { kvt[tileDst(e0)] = v0; }
    if (e1 < E) { kvt[tileDst(e1)] = v1; }
    if (e2 < E) { kvt[tileDst(e2)] = v2; }
    if (e3 < E) { kvt[tileDst(e3)] = v3; }
    // prefetch the next tile (clamped reads past the end are harmless and unused)
    let jn = j0 + BK;
    if (jn < kEnd) {
      if (e0 < E) { k0 = k[tileSrc(e0, jn, seqBase, ks, ko, hk)]; v0 = v[tileSrc(e0, jn, seqBase, vs, vo, hk)]; }
      if (e1 < E) { k1 = k[tileSrc(e1, jn, seqBase, ks, ko, hk)]; v1 = v[tileSrc(e1, jn, seqBase, vs, vo, hk)]; }
      if (e2 < E) { k2 = k[tileSrc(e2, jn, seqBase, ks, ko, hk)]; v2 = v[tileSrc(e2, jn, seqBase, vs, vo, hk)]; }
      if (e3 < E) { k3 = k[tileSrc(e3, jn, seqBase, ks, ko, hk)]; v3 = v[tileSrc(e3, jn, seqBase, vs, vo, hk)]; }
    }
    workgroupBarrier(); // V tile in place

    // only keys j0 .. j0 + nk − 1 exist (the same bound for the whole workgroup); causally masked ones score NEG
    let nk = min(BK, kEnd - j0);
    let srow = p * SROW;
    var mNew = m;
    for (var j = 0u; j < nk; j++) { mNew = max(mNew, st[srow + j]); }
    let corr = exp2(m - mNew);
    m = mNew;
    l *= corr;
    a0 *= corr.x; a1 *= corr.x; a2 *= corr.x; a3 *= corr.x;
    b0 *= corr.y; b1 *= corr.y; b2 *= corr.y; b3 *= corr.y;
    for (var j = 0u; j < nk; j++) {
      let pr = exp2(st[srow + j] - m);
      l += pr;
      let pa = vec4<f32>(pr.x);
      let pb = vec4<f32>(pr.y);
      let vb = j * ROW4 + cg;
      let x0 = kvt[vb];
      a0 = fma(pa, x0, a0); b0 = fma(pb, x0, b0);
      if (has1) { let x1 = kvt[vb + C]; a1 = fma(pa, x1, a1); b1 = fma(pb, x1, b1); }
      if (has2) { let x2 = kvt[vb + 2u * C]; a2 = fma(pa, x2, a2); b2 = fma(pb, x2, b2); }
      if (has3) { let x3 = kvt[vb + 3u * C]; a3 = fma(pa, x3, a3); b3 = fma(pb, x3, b3); }
    }
    workgroupBarrier(); // S and V tile consumed before the next tile overwrites them
  }

  let outRow4 = params.heads * DH4;
  let inv = 1.0 / l;
  let rowA = i0 + 2u * p;
  if (rowA < seqLen) {
    let ob = (seqBase + rowA) * outRow4 + h * DH4 + cg;
    out[ob] = a0 * inv.x;
    if (has1) { out[ob + C] = a1 * inv.x; }
    if (has2) { out[ob + 2u * C] = a2 * inv.x; }
    if (has3) { out[ob + 3u * C] = a3 * inv.x; }
  }
  if (rowA + 1u < seqLen) {
    let ob = (seqBase + rowA + 1u) * outRow4 + h * DH4 + cg;
    out[ob] = b0 * inv.y;
    if (has1) { out[ob + C] = b1 * inv.y; }
    if (has2) { out[ob + 2u * C] = b2 * inv.y; }
    if (has3) { out[ob + 3u * C] = b3 * inv.y; }
  }
}
