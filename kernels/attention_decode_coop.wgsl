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
// Threads: one workgroup of WG invocations per (sequence, kv head, split); linear workgroup index
// wid.y·nwg.x + wid.x, fastest to slowest: split, kv head, sequence. The group's q rows (scaled to log2 units) and
// the split's block-table entries go to workgroup memory once. The split's keys are walked in tiles of WG keys:
//   scores: invocation i takes key t0 + i and computes its score for every head of the group (K row read once per
//           group, q broadcast from workgroup memory);
//   max:    WG/GROUP invocations per head each reduce a strided slice of the tile's scores, then every invocation
//           merges those partial maxima (two barriers, no serial pass over the tile);
//   PV:     the scores become probabilities 2^(s − m) in workgroup memory; invocation (key slice ks, vec4 column dv)
//           accumulates Σ_k p[h, k] · v[k, dv] for every head over keys ks, ks + WG/(Dh/4), … (V rows read with
//           consecutive invocations on consecutive columns) and the row sums l alongside; running max, sum and
//           accumulators are rescaled per tile (online softmax), so a split may be any number of tiles.
// After the last tile the key slices' accumulators and sums are added in workgroup memory and written out.
// Reference: runtime/reference/attention.ts attentionDecode. Upstream: Qwen2Attention with a KV cache
// (modeling_qwen2.py); per-group workgroups, logits in shared memory and split-K as in vLLM paged_attention_v2.
// Limits: HEAD_DIM % 4 == 0, WG % (HEAD_DIM / 4) == 0; 1 ≤ GROUP ≤ 8, GROUP ≤ WG; chunk % blockSize == 0 and
// SPLIT_BLOCKS = chunk / blockSize; seq_lens[b] ≤ maxBlocks·blockSize; block table entries < numBlocks (not
// checked on the GPU); qOffset, qStride % 4 == 0.
override HEAD_DIM: u32 = 64;
override GROUP: u32 = 7;
override WG: u32 = 64;
override SPLIT_BLOCKS: u32 = 4;
override SPLIT: bool = false;

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

var<workgroup> qs: array<vec4<f32>, GROUP * HEAD_DIM / 4u>;    // [head][vec4 of Dh], pre-scaled to log2 units
var<workgroup> tables: array<u32, SPLIT_BLOCKS>;               // the split's block-table entries
var<workgroup> ps: array<f32, GROUP * WG>;                     // [head][key of the tile]: scores, then 2^(s − m)
var<workgroup> maxima: array<f32, WG>;                         // [head][reducer]: partial maxima of the tile
var<workgroup> accs: array<vec4<f32>, GROUP * WG>;             // [head][invocation]: PV accumulators of each slice
var<workgroup> sums: array<f32, GROUP * WG / (HEAD_DIM / 4u)>; // [head][key slice]: row sums of each slice

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

  // the group's heads are consecutive columns of q
  let qBase = (b * params.qStride + params.qOffset) / 4u + h0 * DH4;
  let c = params.scale * LOG2E;
  for (var i = lid; i < GROUP * DH4; i += WG) { qs[i] = q[qBase + i] * c; }
  let nb = (end - start + bs - 1u) / bs;
  for (var i = lid; i < nb; i += WG) { tables[i] = block_tables[b * params.maxBlocks + firstBlock + i]; }
  workgroupBarrier();

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

    var s = array<f32, MAX_G>();
    for (var h = 0u; h < GROUP; h++) { s[h] = NEG; }
    if (lid < nk) {
      let j = t0 + lid;
      let base = ((tables[j / bs - firstBlock] * bs + j % bs) * params.kvHeads + hk) * DH4;
      var sv = array<vec4<f32>, MAX_G>();
      for (var d = 0u; d < DH4; d++) {
        let kv = k_cache[base + d];
        for (var h = 0u; h < GROUP; h++) { sv[h] = fma(qs[h * DH4 + d], kv, sv[h]); }
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
    for (var k = ks; k < nk; k += KS) {
      let j = t0 + k;
      let vv = v_cache[((tables[j / bs - firstBlock] * bs + j % bs) * params.kvHeads + hk) * DH4 + dv];
      for (var h = 0u; h < GROUP; h++) {
        let p = ps[h * WG + k];
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
