// attention_decode (paged, split-K): one query row per sequence b against its cached keys j < len = seq_lens[b]:
//   row(j)  = block_tables[b, ⌊j / blockSize⌋] · blockSize + j mod blockSize        (a slot of the pool)
//   s[j]    = scale · Σ_d q[b, h·Dh + d] · k_cache[row(j), hk, d],   hk = ⌊h / group⌋ (GQA)
//   SPLIT = false:  out[b, h·Dh + d] = Σ_j softmax(s)[j] · v_cache[row(j), hk, d]
//   SPLIT = true:   split c covers keys [c·chunk, min((c+1)·chunk, len)); writes its partial state in log2 units
//                   ml[b, h, c] = (m, l) with m = max_j s[j]·log2(e), l = Σ_j 2^(s[j]·log2 e − m), and
//                   out[b, h, c, d] = Σ_j 2^(s[j]·log2 e − m) · v_cache[row(j), hk, d]   (unnormalised);
//                   attention_decode_combine merges the splits. Splits past a sequence's length write nothing.
//   APPEND = true:  rope_append fused in front, for the new token at position p = len − 1: q, k_new and v_new are
//                   the token's unrotated projections; q and k_new get Qwen2's half-split RoPE at angle
//                   θ_i = f32(f32(p) · inv_freq[i]) (rope_append.wgsl's arithmetic, bit for bit; LongRoPE: from
//                   the second table [Dh/2 … Dh) when p ≥ longFrom, i.e. this sequence reached past the switch), and
//                   k_cache[row(p)] ← RoPE(k_new[b]), v_cache[row(p)] ← v_new[b] — the same math as rope_append
//                   then attention_decode. Key p is taken from k_new/v_new, never read from the cache: the split
//                   holding p reads keys up to p − 1 from the cache, then folds p in from registers.
// k_cache/v_cache are pools [numBlocks, blockSize, Hkv, Dh] of f32, or of f16 with KV_F16 (kernels/include/kv_pool.wgsl:
// a pool word is one vec4 column of f32 or two of f16; every key and value is read as the pool holds it, the new
// token's too); q, k_new, v_new are column windows (offset, stride) of [B, ≥ width] matrices (one fused qkv in the
// model).
// Threads: one invocation per (sequence, kv head, split, block of GB query heads of that kv head's group); it
// streams its chunk's keys once (vec4 loads, one block-table read per cache block) and reuses every load for its
// GB query heads (register blocking; on lavapipe each storage load is a per-lane scalar load). Online softmax in
// f32 registers. Linear index = (wid.y·nwg.x + wid.x)·WG + lid, fastest to slowest: head block, split, kv head, seq.
// With APPEND every invocation rotates its q rows while loading them; the invocations of the split holding p also
// rotate kv head hk of k_new, and the first head block of them writes that head's k and v rows to the pool.
// Reference: runtime/reference/attention.ts attentionDecode (APPEND: after elementwise.ts rope and attention.ts
// kvAppend). Upstream: Qwen2Attention with a KV cache (modeling_qwen2.py); paging and split-K as in vLLM
// paged_attention_v2.
// Limits: HEAD_DIM % 4 == 0 (KV_F16 or APPEND: % 8 == 0), ≤ 128; GB ≤ 8; chunk % blockSize == 0; seq_lens[b] ≥ 1 and
// ≤ maxBlocks·blockSize; block table entries < numBlocks (not checked on the GPU); qOffset, qStride, kOffset,
// kStride, vOffset, vStride % 4 == 0; positions as rope.wgsl (< 32768). Without APPEND k_new, v_new and inv_freq are
// dummy bindings never read.
override HEAD_DIM: u32 = 64;
override GB: u32 = 1;
override WG: u32 = 64;
override SPLIT: bool = false;
override APPEND: bool = false;

const MAX_DH4 = 32u;
const MAX_GB = 8u;
const LOG2E = 1.4426950408889634;
const NEG = -3.0e38;

struct Params {
  numSeqs: u32,
  heads: u32,
  kvHeads: u32,
  group: u32,
  groupBlocks: u32,
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

// #include "kv_pool.wgsl"

struct CosSin { c: vec4<f32>, s: vec4<f32> }

// cos/sin of θ_i for the 4 pairs i = 4·d4 … 4·d4 + 3 at position p: rope.wgsl's cos_sin per lane (Cody–Waite
// reduction + Cephes polynomials; its quadrant switch as selects), so rotations match rope_append bit for bit.
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

// Folds one key's scores s (log2 units) into the running max m and sum l of each head; returns (p, correction).
fn fold(s: array<vec4<f32>, MAX_GB>, m: ptr<function, array<f32, MAX_GB>>, l: ptr<function, array<f32, MAX_GB>>) -> array<vec2<f32>, MAX_GB> {
  var pc = array<vec2<f32>, MAX_GB>();
  for (var r = 0u; r < GB; r++) {
    let sr = s[r].x + s[r].y + s[r].z + s[r].w;
    let mNew = max((*m)[r], sr);
    let corr = exp2((*m)[r] - mNew);
    let p = exp2(sr - mNew);
    (*l)[r] = (*l)[r] * corr + p;
    (*m)[r] = mNew;
    pc[r] = vec2<f32>(p, corr);
  }
  return pc;
}

// Pool row of position p of sequence b (kv_cache.ts slotsFor on the GPU).
fn slot_of(b: u32, p: u32) -> u32 {
  return block_tables[b * params.maxBlocks + p / params.blockSize] * params.blockSize + p % params.blockSize;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let gb = i % params.groupBlocks;
  let split = (i / params.groupBlocks) % params.splits;
  let hk = (i / (params.groupBlocks * params.splits)) % params.kvHeads;
  let b = i / (params.groupBlocks * params.splits * params.kvHeads);
  if (b >= params.numSeqs) { return; }
  let len = seq_lens[b];
  let start = split * params.chunk;
  if (start >= len) { return; }
  let end = min(start + params.chunk, len);
  // APPEND: this split holds the new key p = len − 1 (its last); the cache is read for keys before it only
  let fresh = APPEND && end == len;
  let cacheEnd = select(end, end - 1u, fresh);

  let DH4 = HEAD_DIM / 4u;
  let H4 = DH4 / 2u;
  let h0 = hk * params.group + gb * GB;
  let nh = min(GB, params.group - gb * GB);
  let c = params.scale * LOG2E;
  var qr = array<vec4<f32>, MAX_GB * MAX_DH4>();
  var acc = array<vec4<f32>, MAX_GB * MAX_DH4>();
  var kn = array<vec4<f32>, MAX_DH4>(); // APPEND: the new key, rotated
  var m = array<f32, MAX_GB>();
  var l = array<f32, MAX_GB>();
  let qRow = (b * params.qStride + params.qOffset) / 4u;
  for (var r = 0u; r < GB; r++) { m[r] = NEG; }
  if (APPEND) {
    let kb = (b * params.kStride + params.kOffset) / 4u + hk * DH4;
    for (var d = 0u; d < H4; d++) {
      let cs = rope_cos_sin(len - 1u, d);
      for (var r = 0u; r < GB; r++) {
        let qb = qRow + (h0 + min(r, nh - 1u)) * DH4;
        let x1 = q[qb + d];
        let x2 = q[qb + d + H4];
        qr[r * DH4 + d] = (x1 * cs.c - x2 * cs.s) * c;
        qr[r * DH4 + d + H4] = (x2 * cs.c + x1 * cs.s) * c;
      }
      if (fresh) {
        let x1 = k_new[kb + d];
        let x2 = k_new[kb + d + H4];
        kn[d] = kv_round(x1 * cs.c - x2 * cs.s, params.zero);
        kn[d + H4] = kv_round(x2 * cs.c + x1 * cs.s, params.zero);
      }
    }
  } else {
    for (var r = 0u; r < GB; r++) {
      let qb = qRow + (h0 + min(r, nh - 1u)) * DH4;
      for (var d = 0u; d < DH4; d++) { qr[r * DH4 + d] = q[qb + d] * c; }
    }
  }

  // pool words: a head row is DW words of PW columns
  let PW = kv_per_word();
  let DW = DH4 / PW;
  let rowStrideW = params.kvHeads * DW;
  for (var j = start; j < cacheEnd; j += params.blockSize) {
    let blk = block_tables[b * params.maxBlocks + j / params.blockSize];
    let n = min(params.blockSize, cacheEnd - j);
    var base = (blk * params.blockSize * params.kvHeads + hk) * DW;
    for (var o = 0u; o < n; o++) {
      var s = array<vec4<f32>, MAX_GB>();
      for (var w = 0u; w < DW; w++) {
        let kw = k_cache[base + w];
        for (var e = 0u; e < PW; e++) {
          let kv = kv_unpack(kw, e);
          let d = w * PW + e;
          for (var r = 0u; r < GB; r++) { s[r] = fma(qr[r * DH4 + d], kv, s[r]); }
        }
      }
      let pc = fold(s, &m, &l);
      for (var w = 0u; w < DW; w++) {
        let vw = v_cache[base + w];
        for (var e = 0u; e < PW; e++) {
          let vv = kv_unpack(vw, e);
          let d = w * PW + e;
          for (var r = 0u; r < GB; r++) { acc[r * DH4 + d] = fma(vec4<f32>(pc[r].x), vv, acc[r * DH4 + d] * pc[r].y); }
        }
      }
      base += rowStrideW;
    }
  }

  if (fresh) {
    // the new key last, as attention_decode reads it after rope_append wrote it; its value straight from v_new
    let vb = (b * params.vStride + params.vOffset) / 4u + hk * DH4;
    var s = array<vec4<f32>, MAX_GB>();
    for (var d = 0u; d < DH4; d++) {
      for (var r = 0u; r < GB; r++) { s[r] = fma(qr[r * DH4 + d], kn[d], s[r]); }
    }
    let pc = fold(s, &m, &l);
    for (var d = 0u; d < DH4; d++) {
      let vv = kv_round(v_new[vb + d], params.zero);
      for (var r = 0u; r < GB; r++) { acc[r * DH4 + d] = fma(vec4<f32>(pc[r].x), vv, acc[r * DH4 + d] * pc[r].y); }
    }
    if (gb == 0u) {
      let dst = (slot_of(b, len - 1u) * params.kvHeads + hk) * DW;
      for (var w = 0u; w < DW; w++) {
        let d = w * PW;
        k_cache[dst + w] = kv_pack(kn[d], kn[d + PW - 1u]);
        v_cache[dst + w] = kv_pack(v_new[vb + d], v_new[vb + d + PW - 1u]);
      }
    }
  }

  for (var r = 0u; r < nh; r++) {
    let bh = b * params.heads + h0 + r;
    if (SPLIT) {
      let idx = bh * params.splits + split;
      ml[idx] = vec2<f32>(m[r], l[r]);
      for (var d = 0u; d < DH4; d++) { out[idx * DH4 + d] = acc[r * DH4 + d]; }
    } else {
      let inv = 1.0 / l[r];
      for (var d = 0u; d < DH4; d++) { out[bh * DH4 + d] = acc[r * DH4 + d] * inv; }
    }
  }
}
