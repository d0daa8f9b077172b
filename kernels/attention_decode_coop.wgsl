// attention_decode_coop (paged, split-K, one workgroup per KV group): the math of attention_decode.wgsl,
//   row(j)  = block_tables[b, ⌊j / blockSize⌋] · blockSize + j mod blockSize        (a slot of the pool)
//   s[h, j] = scale · Σ_d q[b, h·Dh + d] · k_cache[row(j), hk, d]   for the GROUP query heads h of kv head hk
//   SPLIT = false:  out[b, h·Dh + d] = Σ_j softmax_j(s[h])[j] · v_cache[row(j), hk, d]
//   SPLIT = true:   split c covers keys [c·chunk, min((c+1)·chunk, len)) and writes, in log2 units,
//                   ml[b, h, c] = (m, l), m = max_j s[h, j]·log2(e), l = Σ_j 2^(s[h, j]·log2 e − m), and the
//                   unnormalised out[b, h, c, d] = Σ_j 2^(s[h, j]·log2 e − m) · v_cache[row(j), hk, d];
//                   attention_decode_combine merges the splits and never reads a split past a sequence's length,
//                   so such a split writes nothing. Without SPLIT a sequence of length 0 gets zeros (as the combine
//                   gives it).
//   APPEND = true:  rope_append fused in front, for the new token at position p = len − 1: q, k_new and v_new are
//                   the token's unrotated projections; q and k_new get Qwen2's half-split RoPE at angle
//                   θ_i = f32(f32(p) · inv_freq[i]) (rope_append.wgsl's arithmetic, bit for bit; LongRoPE: from
//                   the second table [Dh/2 … Dh) when p ≥ longFrom, i.e. this sequence reached past the switch), and
//                   k_cache[row(p)] ← RoPE(k_new[b]), v_cache[row(p)] ← v_new[b] — the same math as rope_append
//                   then attention_decode. Key p is taken from k_new/v_new, never read from the cache.
// The pools hold f32, or f16 with KV_F16 (kernels/include/kv_pool.wgsl: a pool word is one vec4 column of f32 or two
// of f16); every key and value is read as the pool holds it, the new token's too.
// Threads: one workgroup of WG invocations per (sequence, kv head, split); linear workgroup index
// wid.y·nwg.x + wid.x, fastest to slowest: split, kv head, sequence. The group's q rows (scaled to log2 units) and
// the split's block-table entries go to workgroup memory once (APPEND: q rotated on the way; in the split holding p
// the new key is rotated into workgroup memory and, with v_new's row, written to the pool). The split's keys are
// walked in tiles of WG keys:
//   scores: invocation i takes key t0 + i and computes its score for every head of the group (K row read once per
//           group, q broadcast from workgroup memory);
//   max:    WG/GROUP invocations per head each reduce a strided slice of the tile's scores, then every invocation
//           merges those partial maxima (two barriers, no serial pass over the tile);
//   PV:     the scores become probabilities 2^(s − m) in workgroup memory; invocation (key slice ks, vec4 column dv)
//           accumulates Σ_k p[h, k] · v[k, dv] for every head over keys ks, ks + WG/(Dh/4), … (V rows read with
//           consecutive invocations on consecutive columns) and the row sums l alongside; running max, sum and
//           accumulators are rescaled per tile (online softmax), so a split may be any number of tiles.
// After the last tile the key slices' accumulators and sums are added in workgroup memory and written out.
// APPEND: key p is the last key of its split's last tile; the invocation scoring it reads the rotated key from
// workgroup memory, and the key slice it falls to adds its v_new row after its cache rows (the order of the
// unfused pass, so both agree bit for bit).
// Reference: runtime/reference/attention.ts attentionDecode (APPEND: after elementwise.ts rope and attention.ts
// kvAppend). Upstream: Qwen2Attention with a KV cache (modeling_qwen2.py); per-group workgroups, logits in shared
// memory and split-K as in vLLM paged_attention_v2.
// Limits: HEAD_DIM % 4 == 0 (KV_F16 or APPEND: % 8 == 0), WG % (HEAD_DIM / 4) == 0; 1 ≤ GROUP ≤ 8, GROUP ≤ WG;
// chunk % blockSize == 0 and SPLIT_BLOCKS = chunk / blockSize; seq_lens[b] ≤ maxBlocks·blockSize (APPEND: ≥ 1; a
// sequence of length 0 appends nothing); block table entries < numBlocks (not checked on the GPU); qOffset,
// qStride, kOffset, kStride, vOffset, vStride % 4 == 0; positions as rope.wgsl (< 32768). Without APPEND k_new,
// v_new and inv_freq are dummy bindings never read.
override HEAD_DIM: u32 = 64;
override GROUP: u32 = 7;
override WG: u32 = 64;
override SPLIT_BLOCKS: u32 = 4;
override SPLIT: bool = false;
override APPEND: bool = false;

const MAX_G = 8u;
const LOG2E = 1.4426950408889634;
const NEG = -3.0e38;

struct Params {
  numSeqs: u32,
  heads: u32,
  kvHeads: u32,
  maxBlocks: u32,
  blockSize: u32,
  chunk: u32,
  splits: u32,
  qOffset: u32,
  qStride: u32,
  kOffset: u32,
  kStride: u32,
  vOffset: u32,
  vStride: u32,
  zero: u32,
  // LongRoPE (Phi-3): positions ≥ longFrom rotate with the second inv_freq table (0xffffffff: one table)
  longFrom: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k_new: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_new: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> inv_freq: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> block_tables: array<u32>;
@group(0) @binding(5) var<storage, read> seq_lens: array<u32>;
// read_write for APPEND's one row per sequence; a buffer cannot be bound read-only and writable in one dispatch
@group(0) @binding(6) var<storage, read_write> k_cache: array<vec4<u32>>;
@group(0) @binding(7) var<storage, read_write> v_cache: array<vec4<u32>>;
@group(0) @binding(8) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> ml: array<vec2<f32>>;
@group(0) @binding(10) var<uniform> params: Params;

var<workgroup> qs: array<vec4<f32>, GROUP * HEAD_DIM / 4u>;    // [head][vec4 of Dh], pre-scaled to log2 units
var<workgroup> tables: array<u32, SPLIT_BLOCKS>;               // the split's block-table entries
var<workgroup> ps: array<f32, GROUP * WG>;                     // [head][key of the tile]: scores, then 2^(s − m)
var<workgroup> maxima: array<f32, WG>;                         // [head][reducer]: partial maxima of the tile
var<workgroup> accs: array<vec4<f32>, GROUP * WG>;             // [head][invocation]: PV accumulators of each slice
var<workgroup> sums: array<f32, GROUP * WG / (HEAD_DIM / 4u)>; // [head][key slice]: row sums of each slice
var<workgroup> knew: array<vec4<f32>, HEAD_DIM / 4u>;          // APPEND: the new key, rotated

// #include "kv_pool.wgsl"

struct CosSin { c: vec4<f32>, s: vec4<f32> }

// cos/sin of θ_i for the 4 pairs i = 4·d4 … 4·d4 + 3 at position p: rope.wgsl's cos_sin per lane (Cody–Waite
// reduction + Cephes polynomials; its quadrant switch as selects), so rotations match rope_append bit for bit.
// The same function as in attention_decode.wgsl.
fn rope_cos_sin(p: u32, d4: u32) -> CosSin {
  // HF rounds the angle to f32 before cos/sin; ORing its bits with params.zero (always 0, unknown to the compiler)
  // keeps p·inv_freq from being contracted into an fma with the reduction below.
  let f = inv_freq[select(d4, d4 + HEAD_DIM / 8u, p >= params.longFrom)];
  let a = bitcast<vec4<f32>>(bitcast<vec4<u32>>(f32(p) * f) | vec4<u32>(params.zero));
  let k = round(a * 0.63661977236758134);
  var r = a - k * 1.5703125;
  r = r - k * 4.8351287841796875e-4;
  r = r - k * 3.1391647326017846e-7;
  let z = r * r;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  // quadrant 0: (c, s), 1: (−s, c), 2: (−c, −s), 3: (s, −c)
  let quad = vec4<u32>(vec4<i32>(k)) & vec4<u32>(3u);
  let odd = (quad & vec4<u32>(1u)) != vec4<u32>(0u);
  let cq = select(c, s, odd);
  let sq = select(s, c, odd);
  return CosSin(select(cq, -cq, ((quad + vec4<u32>(1u)) & vec4<u32>(2u)) != vec4<u32>(0u)), select(sq, -sq, quad >= vec4<u32>(2u)));
}

// Pool row of position p of sequence b (kv_cache.ts slotsFor on the GPU).
fn slot_of(b: u32, p: u32) -> u32 {
  return block_tables[b * params.maxBlocks + p / params.blockSize] * params.blockSize + p % params.blockSize;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * nwg.x + wid.x;
  let split = w % params.splits;
  let hk = (w / params.splits) % params.kvHeads;
  let b = w / (params.splits * params.kvHeads);
  if (b >= params.numSeqs) { return; }
  let DH4 = HEAD_DIM / 4u;
  let h0 = hk * GROUP;
  let len = seq_lens[b];
  let start = split * params.chunk;
  if (start >= len) {
    if (!SPLIT) {
      for (var i = lid; i < GROUP * DH4; i += WG) { out[(b * params.heads + h0) * DH4 + i] = vec4<f32>(0.0); }
    }
    return;
  }
  let end = min(start + params.chunk, len);
  let bs = params.blockSize;
  let firstBlock = start / bs;
  // APPEND: this split holds the new key p = len − 1 (its last); the cache is read for keys before it only
  let fresh = APPEND && end == len;

  // the group's heads are consecutive columns of q
  let qBase = (b * params.qStride + params.qOffset) / 4u + h0 * DH4;
  let c = params.scale * LOG2E;
  let vb = (b * params.vStride + params.vOffset) / 4u + hk * DH4;
  // pool words: a head row is DW words of PW columns
  let PW = kv_per_word();
  let DW = DH4 / PW;
  // APPEND: the new key's and value's pool row (in columns), written once knew is complete
  var dst = 0u;
  if (APPEND) {
    // column pairs (d, d + Dh/8) of vec4s: the group's q heads, then (in the split holding p) the new key
    let H4 = DH4 / 2u;
    let p = len - 1u;
    let kb = (b * params.kStride + params.kOffset) / 4u + hk * DH4;
    dst = (slot_of(b, p) * params.kvHeads + hk) * DH4;
    for (var i = lid; i < select(GROUP, GROUP + 1u, fresh) * H4; i += WG) {
      let h = i / H4;
      let d = i % H4;
      let cs = rope_cos_sin(p, d);
      if (h < GROUP) {
        let x1 = q[qBase + h * DH4 + d];
        let x2 = q[qBase + h * DH4 + d + H4];
        qs[h * DH4 + d] = (x1 * cs.c - x2 * cs.s) * c;
        qs[h * DH4 + d + H4] = (x2 * cs.c + x1 * cs.s) * c;
      } else {
        let x1 = k_new[kb + d];
        let x2 = k_new[kb + d + H4];
        knew[d] = kv_round(x1 * cs.c - x2 * cs.s, params.zero);
        knew[d + H4] = kv_round(x2 * cs.c + x1 * cs.s, params.zero);
      }
    }
  } else {
    for (var i = lid; i < GROUP * DH4; i += WG) { qs[i] = q[qBase + i] * c; }
  }
  let nb = (end - start + bs - 1u) / bs;
  for (var i = lid; i < nb; i += WG) { tables[i] = block_tables[b * params.maxBlocks + firstBlock + i]; }
  workgroupBarrier();
  if (fresh) {
    for (var w = lid; w < DW; w += WG) {
      let d = w * PW;
      k_cache[dst / PW + w] = kv_pack(knew[d], knew[d + PW - 1u]);
      v_cache[dst / PW + w] = kv_pack(v_new[vb + d], v_new[vb + d + PW - 1u]);
    }
  }

  let rowStride4 = params.kvHeads * DH4;
  let R = WG / GROUP;  // reducers per head in the max step
  let KS = WG / DH4;   // key slices in the PV step
  let dv = lid % DH4;
  let ks = lid / DH4;
  var m = array<f32, MAX_G>();
  var l = array<f32, MAX_G>();
  var acc = array<vec4<f32>, MAX_G>();
  for (var h = 0u; h < GROUP; h++) { m[h] = NEG; }

  for (var t0 = start; t0 < end; t0 += WG) {
    // the previous tile's PV step still reads ps
    if (t0 != start) { workgroupBarrier(); }
    let nk = min(WG, end - t0);
    // keys of the tile in the cache: all but the new key when this is the last tile of its split
    let nkc = select(nk, nk - 1u, fresh && t0 + nk == end);

    var s = array<f32, MAX_G>();
    for (var h = 0u; h < GROUP; h++) { s[h] = NEG; }
    if (lid < nk) {
      var sv = array<vec4<f32>, MAX_G>();
      if (lid < nkc) {
        let j = t0 + lid;
        let base = ((tables[j / bs - firstBlock] * bs + j % bs) * params.kvHeads + hk) * DW;
        for (var w = 0u; w < DW; w++) {
          let kw = k_cache[base + w];
          for (var e = 0u; e < PW; e++) {
            let kv = kv_unpack(kw, e);
            let d = w * PW + e;
            for (var h = 0u; h < GROUP; h++) { sv[h] = fma(qs[h * DH4 + d], kv, sv[h]); }
          }
        }
      } else {
        for (var d = 0u; d < DH4; d++) {
          for (var h = 0u; h < GROUP; h++) { sv[h] = fma(qs[h * DH4 + d], knew[d], sv[h]); }
        }
      }
      for (var h = 0u; h < GROUP; h++) { s[h] = sv[h].x + sv[h].y + sv[h].z + sv[h].w; }
    }
    for (var h = 0u; h < GROUP; h++) { ps[h * WG + lid] = s[h]; }
    workgroupBarrier();

    if (lid < GROUP * R) {
      let h = lid / R;
      var mx = NEG;
      for (var k = lid % R; k < nk; k += R) { mx = max(mx, ps[h * WG + k]); }
      maxima[lid] = mx;
    }
    workgroupBarrier();

    var corr = array<f32, MAX_G>();
    for (var h = 0u; h < GROUP; h++) {
      var mt = m[h];
      for (var r = 0u; r < R; r++) { mt = max(mt, maxima[h * R + r]); }
      corr[h] = exp2(m[h] - mt);
      m[h] = mt;
      ps[h * WG + lid] = exp2(s[h] - mt); // 0 for the keys past the end (s = NEG)
    }
    workgroupBarrier();

    for (var h = 0u; h < GROUP; h++) {
      acc[h] *= corr[h];
      l[h] *= corr[h];
    }
    for (var k = ks; k < nkc; k += KS) {
      let j = t0 + k;
      let col = ((tables[j / bs - firstBlock] * bs + j % bs) * params.kvHeads + hk) * DH4 + dv;
      let vv = kv_unpack(v_cache[col / PW], col % PW);
      for (var h = 0u; h < GROUP; h++) {
        let p = ps[h * WG + k];
        acc[h] = fma(vec4<f32>(p), vv, acc[h]);
        l[h] += p;
      }
    }
    if (nkc < nk && ks == nkc % KS) {
      let vv = kv_round(v_new[vb + dv], params.zero);
      for (var h = 0u; h < GROUP; h++) {
        let p = ps[h * WG + nkc];
        acc[h] = fma(vec4<f32>(p), vv, acc[h]);
        l[h] += p;
      }
    }
  }

  for (var h = 0u; h < GROUP; h++) { accs[h * WG + lid] = acc[h]; }
  if (dv == 0u) {
    for (var h = 0u; h < GROUP; h++) { sums[h * KS + ks] = l[h]; }
  }
  workgroupBarrier();

  for (var i = lid; i < GROUP * DH4; i += WG) {
    let h = i / DH4;
    let d = i % DH4;
    var o = vec4<f32>(0.0);
    var sum = 0.0;
    for (var k = 0u; k < KS; k++) {
      o += accs[h * WG + k * DH4 + d];
      sum += sums[h * KS + k];
    }
    let bh = b * params.heads + h0 + h;
    if (SPLIT) {
      let idx = bh * params.splits + split;
      if (d == 0u) { ml[idx] = vec2<f32>(m[h], sum); }
      out[idx * DH4 + d] = o;
    } else {
      out[bh * DH4 + d] = o / sum;
    }
  }
}
