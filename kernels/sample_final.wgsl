// sample_final: out[b] = the token runtime/sampler.ts sampleToken picks for row b with random() = u_b:
//   greedy (flag or T ≤ 0): the first item of the row's sorted list (argmax, lowest index on ties);
//   else with w_i = exp((s_i − m)/T) in sampling order (key desc, index asc): top-k keeps ranks < k plus ties of
//   the k-th; total = Σ kept w (Σ over the whole row, from stats, when top-k is off); top-p keeps the shortest prefix
//   whose Σ w/total ≥ p; the draw returns the first i with u·Σ_{kept} w − Σ_{j ≤ i} w < 0.
// Threads: one workgroup of WG per row. Invocation 0 walks the row's KC sorted candidates serially (the CPU's
// summation order). Only when the kept set runs past the candidates (top-k off, and the nucleus or the draw lands
// beyond rank KC) the whole workgroup searches the tail: 8 radix rounds of 4 bits over the key, each one pass over
// the row summing w per bucket, then a pass that finds the j-th tied element in index order.
// Reference: runtime/reference/sample.ts sampleRows (runtime/sampler.ts sampleToken). Upstream: transformers
// TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, torch.multinomial.
// Limits: top_k ≤ KC = 256 (larger k counts as off); ties of the k-th past rank KC are dropped; f32 sums
// (the CPU uses float64): a u within ~1e-6 relative of a cumulative boundary may pick the neighbouring token.
override WG: u32 = 256;
const KC: u32 = 256u;
const NONE: u32 = 0xffffffffu;

struct Params { rows: u32, vocab: u32, words: u32, chunks: u32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> seen: array<u32>;
@group(0) @binding(2) var<storage, read> settings: array<f32>;
@group(0) @binding(3) var<storage, read_write> cand: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<u32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> wts: array<f32, KC>;
var<workgroup> red: array<f32, WG>;
var<workgroup> cnt: array<u32, WG>;
var<workgroup> bucket: array<f32, 16>;
var<workgroup> sh_phase: u32; // 0 done, 1 top-p cut lies in the tail, 2 the draw lies in the tail
var<workgroup> sh_result: u32;
var<workgroup> sh_r: f32;
var<workgroup> sh_m: f32;
var<workgroup> sh_temp: f32;
var<workgroup> sh_pen: f32;
var<workgroup> sh_u: f32;
var<workgroup> sh_key_last: u32;
var<workgroup> sh_idx_last: u32;
var<workgroup> sh_nv: u32;
var<workgroup> sh_mass: f32;
var<workgroup> sh_prefix: u32;
var<workgroup> sh_above: f32;
var<workgroup> sh_j: u32;
var<workgroup> sh_tidx: u32;
var<workgroup> sh_tcum: f32;

fn key_of(v: f32) -> u32 {
  if (!(v >= -3.4028234663852886e38)) { return 0u; } // NaN or −∞
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
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

// Ranked after the last candidate (the tail), and not excluded.
fn in_tail(k: u32, i: u32) -> bool {
  return k != 0u && (k < sh_key_last || (k == sh_key_last && i > sh_idx_last));
}

// Thread 0: everything that only needs the sorted candidates. Sets sh_phase and what the next phase needs.
fn plan(row: u32) {
  let s = row * 8u;
  let t0 = settings[s];
  let top_k = settings[s + 1u];
  let top_p = settings[s + 2u];
  let u = settings[s + 4u];
  let lb = row * KC;
  let first = cand[lb];
  sh_phase = 0u;
  sh_result = first.y;
  if (settings[s + 5u] != 0.0 || !(t0 > 0.0) || first.x == 0u) { return; }
  let m = value_of(first.x);
  var nv = 0u;
  for (var i = 0u; i < KC; i++) {
    let k = cand[lb + i].x;
    if (k == 0u) { break; }
    wts[i] = exp((value_of(k) - m) / t0);
    nv = i + 1u;
  }
  let last = cand[lb + KC - 1u];
  sh_m = m;
  sh_temp = t0;
  sh_u = u;
  sh_nv = nv;
  sh_key_last = last.x;
  sh_idx_last = last.y;
  let k = u32(max(top_k, 0.0));
  let filter_k = k > 0u && k <= KC && k <= nv;
  var limit = nv;
  var total = 0.0;
  var tail = nv == KC && !filter_k; // the kept set may continue past the candidates
  if (filter_k) {
    let kth = cand[lb + k - 1u].x;
    limit = k;
    while (limit < nv && cand[lb + limit].x == kth) { limit++; }
    for (var i = 0u; i < limit; i++) { total += wts[i]; }
  } else {
    for (var c = 0u; c < params.chunks; c++) {
      let st = stats[row * params.chunks + c];
      if (st.y > 0.0) { total += st.y * exp((st.x - m) / t0); }
    }
  }
  var keep = limit;
  var kept_total = total;
  if (top_p < 1.0) {
    var cum = 0.0;
    var kt = 0.0;
    var found = false;
    for (var i = 0u; i < limit; i++) {
      kt += wts[i];
      cum += wts[i] / total;
      if (cum >= top_p) { keep = i + 1u; found = true; break; }
    }
    if (!found && tail) {
      sh_mass = kt;
      sh_r = top_p * total - kt;
      sh_phase = 1u;
      return;
    }
    kept_total = kt;
    tail = false;
  }
  draw(lb, keep, u * kept_total, tail);
}

// Thread 0: walk the first `keep` candidates; when the target outlasts them, either hand over to the tail search
// (phase 2) or return the last kept candidate (the CPU's fallback).
fn draw(lb: u32, keep: u32, goal: f32, tail: bool) {
  var r = goal;
  for (var i = 0u; i < keep; i++) {
    r -= wts[i];
    if (r < 0.0) { sh_result = cand[lb + i].y; sh_phase = 0u; return; }
  }
  sh_result = cand[lb + max(keep, 1u) - 1u].y;
  if (tail) { sh_r = r; sh_phase = 2u; } else { sh_phase = 0u; }
}

// Whole workgroup: the first tail element (sampling order) whose cumulative tail mass reaches r (> r if strict).
// Sets sh_tidx (NONE if the tail is empty) and sh_tcum (the cumulative tail mass through it).
fn tail_search(row: u32, r: f32, strict: bool, lid: u32) {
  let m = sh_m;
  let temp = sh_temp;
  let pen = sh_pen;
  if (lid == 0u) { sh_prefix = 0u; sh_above = 0.0; }
  workgroupBarrier();
  for (var round = 0u; round < 8u; round++) {
    let shift = 28u - 4u * round;
    let prefix = sh_prefix;
    var part: array<f32, 16>;
    for (var d = 0u; d < 16u; d++) { part[d] = 0.0; } // explicit: lavapipe kept the previous round's values
    for (var i = lid; i < params.vocab; i += WG) {
      let s = score(row, i, pen);
      let k = key_of(s);
      if (in_tail(k, i) && (round == 0u || (k >> (shift + 4u)) == (prefix >> (shift + 4u)))) {
        part[(k >> shift) & 15u] += exp((s - m) / temp);
      }
    }
    for (var d = 0u; d < 16u; d++) {
      red[lid] = part[d];
      workgroupBarrier();
      for (var st = WG / 2u; st > 0u; st >>= 1u) {
        if (lid < st) { red[lid] += red[lid + st]; }
        workgroupBarrier();
      }
      if (lid == 0u) { bucket[d] = red[0]; }
      workgroupBarrier();
    }
    if (lid == 0u) {
      var above = sh_above;
      var pick = 16u;
      var lowest = 16u;
      for (var dd = 0u; dd < 16u; dd++) {
        let d = 15u - dd;
        let bm = bucket[d];
        if (bm > 0.0) {
          lowest = d;
          let next = above + bm;
          if ((strict && next > r) || (!strict && next >= r)) { pick = d; break; }
          above = next;
        }
      }
      if (pick == 16u) {
        pick = select(0u, lowest, lowest < 16u); // rounding ran past the end: take the last non-empty bucket
        if (lowest < 16u) { above -= bucket[lowest]; }
      }
      sh_prefix = prefix | (pick << shift);
      sh_above = above;
    }
    workgroupBarrier();
  }
  // Every tail element with key == kappa has the same weight: the j-th of them (index order) crosses r.
  let kappa = sh_prefix;
  let above = sh_above;
  let w = exp((value_of(kappa) - m) / temp);
  let seg = (params.vocab + WG - 1u) / WG;
  let lo = min(lid * seg, params.vocab);
  let hi = min(lo + seg, params.vocab);
  var mine = 0u;
  for (var i = lo; i < hi; i++) {
    if (in_tail(key_of(score(row, i, pen)), i) && key_of(score(row, i, pen)) == kappa) { mine++; }
  }
  cnt[lid] = mine;
  workgroupBarrier();
  if (lid == 0u) {
    var run = 0u;
    for (var t = 0u; t < WG; t++) { let c = cnt[t]; cnt[t] = run; run += c; }
    let q = max((r - above) / w, 0.0);
    var j = select(u32(max(ceil(q) - 1.0, 0.0)), u32(floor(q)), strict);
    if (run == 0u) { sh_tidx = NONE; } else {
      j = min(j, run - 1u);
      sh_tidx = 0u;
    }
    sh_j = j;
    sh_tcum = above + f32(j + 1u) * w;
  }
  workgroupBarrier();
  let j = sh_j;
  let found = sh_tidx;
  workgroupBarrier();
  if (found != NONE && mine > 0u && cnt[lid] <= j && j < cnt[lid] + mine) {
    var c = cnt[lid];
    for (var i = lo; i < hi; i++) {
      let k = key_of(score(row, i, pen));
      if (in_tail(k, i) && k == kappa) {
        if (c == j) { sh_tidx = i; break; }
        c++;
      }
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  if (lid == 0u) {
    sh_pen = settings[row * 8u + 3u];
    plan(row);
  }
  if (workgroupUniformLoad(&sh_phase) == 1u) {
    tail_search(row, workgroupUniformLoad(&sh_r), false, lid);
    if (lid == 0u) {
      let kept_total = sh_mass + sh_tcum;
      let fallback = sh_tidx;
      draw(row * KC, sh_nv, sh_u * kept_total, true);
      if (sh_phase == 2u && fallback != NONE) { sh_result = fallback; }
    }
  }
  if (workgroupUniformLoad(&sh_phase) == 2u) {
    tail_search(row, workgroupUniformLoad(&sh_r), true, lid);
    if (lid == 0u && sh_tidx != NONE) { sh_result = sh_tidx; }
  }
  workgroupBarrier();
  if (lid == 0u) { out[row] = sh_result; }
}
