// attention_decode (paged, split-K): one query row per sequence b against its cached keys j < seq_lens[b]:
//   row(j)  = block_tables[b, ⌊j / blockSize⌋] · blockSize + j mod blockSize        (a slot of the pool)
//   s[j]    = scale · Σ_d q[b, h·Dh + d] · k_cache[row(j), hk, d],   hk = ⌊h / group⌋ (GQA)
//   SPLIT = false:  out[b, h·Dh + d] = Σ_j softmax(s)[j] · v_cache[row(j), hk, d]
//   SPLIT = true:   split c covers keys [c·chunk, min((c+1)·chunk, len)); writes its partial state in log2 units
//                   ml[b, h, c] = (m, l) with m = max_j s[j]·log2(e), l = Σ_j 2^(s[j]·log2 e − m), and
//                   out[b, h, c, d] = Σ_j 2^(s[j]·log2 e − m) · v_cache[row(j), hk, d]   (unnormalised);
//                   attention_decode_combine merges the splits. Splits past a sequence's length write nothing.
// k_cache/v_cache are pools [numBlocks, blockSize, Hkv, Dh]; q is a column window (offset, stride) of [B, ≥ Hq·Dh].
// Threads: one invocation per (sequence, kv head, split, block of GB query heads of that kv head's group); it
// streams its chunk's keys once (vec4 loads, one block-table read per cache block) and reuses every load for its
// GB query heads (register blocking; on lavapipe each storage load is a per-lane scalar load). Online softmax in
// f32 registers. Linear index = (wid.y·nwg.x + wid.x)·WG + lid, fastest to slowest: head block, split, kv head, seq.
// Reference: runtime/reference/attention.ts attentionDecode. Upstream: Qwen2Attention with a KV cache
// (modeling_qwen2.py); paging and split-K as in vLLM paged_attention_v2.
// Limits: HEAD_DIM % 4 == 0, ≤ 128; GB ≤ 8; chunk % blockSize == 0; seq_lens[b] ≥ 1 and
// ≤ maxBlocks·blockSize; block table entries < numBlocks (not checked on the GPU); qOffset, qStride % 4 == 0.
override HEAD_DIM: u32 = 64;
override GB: u32 = 1;
override WG: u32 = 64;
override SPLIT: bool = false;

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
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> block_tables: array<u32>;
@group(0) @binding(4) var<storage, read> seq_lens: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> ml: array<vec2<f32>>;
@group(0) @binding(7) var<uniform> params: Params;

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

  let DH4 = HEAD_DIM / 4u;
  let h0 = hk * params.group + gb * GB;
  let nh = min(GB, params.group - gb * GB);
  let c = params.scale * LOG2E;
  var qr = array<vec4<f32>, MAX_GB * MAX_DH4>();
  var acc = array<vec4<f32>, MAX_GB * MAX_DH4>();
  var m = array<f32, MAX_GB>();
  var l = array<f32, MAX_GB>();
  for (var r = 0u; r < GB; r++) {
    let qb = (b * params.qStride + params.qOffset) / 4u + (h0 + min(r, nh - 1u)) * DH4;
    for (var d = 0u; d < DH4; d++) { qr[r * DH4 + d] = q[qb + d] * c; }
    m[r] = NEG;
  }

  let rowStride4 = params.kvHeads * DH4;
  for (var j = start; j < end; j += params.blockSize) {
    let blk = block_tables[b * params.maxBlocks + j / params.blockSize];
    let n = min(params.blockSize, end - j);
    var base = (blk * params.blockSize * params.kvHeads + hk) * DH4;
    for (var o = 0u; o < n; o++) {
      var s = array<vec4<f32>, MAX_GB>();
      for (var d = 0u; d < DH4; d++) {
        let kv = k_cache[base + d];
        for (var r = 0u; r < GB; r++) { s[r] = fma(qr[r * DH4 + d], kv, s[r]); }
      }
      var p = array<f32, MAX_GB>();
      var corr = array<f32, MAX_GB>();
      for (var r = 0u; r < GB; r++) {
        let sr = s[r].x + s[r].y + s[r].z + s[r].w;
        let mNew = max(m[r], sr);
        corr[r] = exp2(m[r] - mNew);
        p[r] = exp2(sr - mNew);
        l[r] = l[r] * corr[r] + p[r];
        m[r] = mNew;
      }
      for (var d = 0u; d < DH4; d++) {
        let vv = v_cache[base + d];
        for (var r = 0u; r < GB; r++) { acc[r * DH4 + d] = fma(vec4<f32>(p[r]), vv, acc[r * DH4 + d] * corr[r]); }
      }
      base += rowStride4;
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
