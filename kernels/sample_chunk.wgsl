// sample_chunk: per row b and chunk c of CHUNK logits, s_i = penalised logit (s = l/pen if l ≥ 0 else l·pen when
// id i is in seen[b], else l); key(s) = order-preserving u32 of s (0 for NaN/−∞: excluded, as the CPU sampler drops
// them). Writes cand[b, c, 0..KC) = the chunk's first KC items in sampling order (key desc, index asc) as
// (key, index), and stats[b, c] = (m_c, Σ_i exp((s_i − m_c)/T)) with m_c the chunk max (T = 1 for greedy rows).
// Threads: one workgroup of WG per (row, chunk) (linear index over rows·chunks, folded grid); items in workgroup
// memory, a bitonic sort of CHUNK, a tree reduction for the exp sum.
// Reference: runtime/reference/sample.ts sampleRows (runtime/sampler.ts sampleToken). Upstream: transformers
// RepetitionPenalty/Temperature/TopK/TopP logits processors + torch.multinomial.
// Limits: CHUNK = 4·KC = 1024; settings is the op's [rows, 8] f32 row-settings tensor (runtime/ops/sample.ts).
override WG: u32 = 256;
const CHUNK: u32 = 1024u;
const KC: u32 = 256u;

struct Params { rows: u32, vocab: u32, words: u32, chunks: u32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> seen: array<u32>;
@group(0) @binding(2) var<storage, read> settings: array<f32>;
@group(0) @binding(3) var<storage, read_write> cand: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> sk: array<u32, CHUNK>;
var<workgroup> si: array<u32, CHUNK>;
var<workgroup> red: array<f32, WG>;

fn key_of(v: f32) -> u32 {
  if (!(v >= -3.4028234663852886e38)) { return 0u; } // NaN or −∞
  let b = bitcast<u32>(select(v, 0.0, v == 0.0)); // −0 ties +0, as on the CPU
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn value_of(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

fn score(row: u32, i: u32, pen: f32) -> f32 {
  let v = logits[row * params.vocab + i];
  if (pen != 1.0 && ((seen[row * params.words + (i >> 5u)] >> (i & 31u)) & 1u) == 1u) {
    return select(v / pen, v * pen, v < 0.0);
  }
  return v;
}

// a goes before b in sampling order: larger value first, lower index on ties.
fn before(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka > kb || (ka == kb && ia < ib);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.rows * params.chunks) { return; }
  let row = lin / params.chunks;
  let start = (lin % params.chunks) * CHUNK;
  let t0 = settings[row * 8u];
  let temp = select(1.0, t0, t0 > 0.0);
  let pen = settings[row * 8u + 3u];
  for (var t = lid; t < CHUNK; t += WG) {
    let i = start + t;
    var k = 0u;
    var ix = 0xffffffffu;
    if (i < params.vocab) {
      k = key_of(score(row, i, pen));
      ix = i;
    }
    sk[t] = k;
    si[t] = ix;
  }
  workgroupBarrier();
  for (var size = 2u; size <= CHUNK; size <<= 1u) {
    for (var j = size >> 1u; j > 0u; j >>= 1u) {
      for (var t = lid; t < CHUNK / 2u; t += WG) {
        let a = (t / j) * 2u * j + (t % j);
        let b = a + j;
        let ka = sk[a]; let ia = si[a]; let kb = sk[b]; let ib = si[b];
        let swap = select(before(ka, ia, kb, ib), before(kb, ib, ka, ia), (a & size) == 0u);
        if (swap) { sk[a] = kb; si[a] = ib; sk[b] = ka; si[b] = ia; }
      }
      workgroupBarrier();
    }
  }
  let top = sk[0];
  let mc = select(-3.4028234663852886e38, value_of(top), top != 0u);
  var acc = 0.0;
  for (var t = lid; t < CHUNK; t += WG) {
    let k = sk[t];
    if (k != 0u) { acc += exp((value_of(k) - mc) / temp); }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st >>= 1u) {
    if (lid < st) { red[lid] += red[lid + st]; }
    workgroupBarrier();
  }
  if (lid == 0u) { stats[lin] = vec2<f32>(mc, red[0]); }
  for (var t = lid; t < KC; t += WG) { cand[lin * KC + t] = vec2<u32>(sk[t], si[t]); }
}
