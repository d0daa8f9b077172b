// linear_vec_q_split_k (decode GEMV, quantized weights, for CPU rasterisers): linear_vec_q's
// y[m_off + m, y_col + n] = Σ_k x[m, k]·W[n, k] + b[b_off + n] (+ res[m_off + m, y_col + n]), W[n, k] = code · scale
// of a q4 or q8 weight (QBITS), with NORM (x is rmsNorm(x)·norm_w, the scale applied at the store) and SWIGLU
// (y = silu(x·Wᵀ)·(x·Wuᵀ)), m < XM. Formats: kernels/include/quant_codes.wgsl.
// Threads: a subgroup of LANES lanes walks RS consecutive rows, each row's K split across its lanes: lane l takes the
// group pairs l, l + LANES, … (GPL of them per chunk of K; a pair is 64 k, whose two f16 scales share a u32). Before
// the rows, each lane loads its slice of x (times norm_w, its squares summed) into registers, zero past K; per row it
// then loads only its pairs' codes and scales (clamped past K), and subgroupAdd sums the lanes' parts. Lane
// i % LANES keeps row i's result, and every LANES rows each lane stores one, with its epilogue. Where K is longer
// than one chunk's slices (CHUNKS > 1: down_proj), the rows are walked once per chunk, their running parts kept in
// a private array indexed by row, and finished after the last chunk.
// Why: lavapipe turns every storage load at a computed offset into a loop over the lanes, so loads are the cost.
// With rows across lanes (linear_vec_q_shuffle) every invocation needs all of x: even loaded once per subgroup and
// shuffled, x and the norm weight cost as many loads as the q4 codes. Here x is loaded once per subgroup in all,
// held at literal register indices (the loops over pairs, rows of x and words have constant bounds and unroll). Measured on lavapipe,
// interleaved in one process (bench/RESULTS.md): gate_proj's shape q4 0.65 vs 1.02 ms, q8 0.71 vs 1.33 ms; the
// lm_head with its norm, q4, 19.9 vs 39.8 ms.
// Reference: runtime/reference/linear.ts linear on runtime/quant.ts dequantize (NORM: ∘ rmsNorm; SWIGLU: siluMul).
// Limits: `subgroups`, with subgroups of exactly LANES invocations (the runtime picks this kernel only on adapters
// with one subgroup size; any other size writes NaN); WG % LANES == 0; RS % LANES == 0; K % 64 == 0;
// XM · GPL ≤ 4 (the x slices held per lane); XM · RS ≤ 256; unused bindings are dummies.
enable subgroups;
diagnostic(off, subgroup_uniformity);

override WG: u32 = 8; // the runtime runs one subgroup per workgroup
override LANES: u32 = 8;
override GPL: u32 = 2;
override RS: u32 = 16;
override CHUNKS: u32 = 1; // K in chunks of LANES · GPL pairs; 1: x's slices are all in registers at once

// #include "gemv_q_io.wgsl"

// #include "gemv_x.wgsl"
// #include "quant_codes.wgsl"

/** This lane's slice of x (of the current chunk of K): row m, pair p, word j (8 k) at [(m · GPL + p) · 8 + j]. */
var<private> xs: array<X8, 32>;
var<private> n0: u32; // the subgroup's first row
var<private> unit: array<f32, 8>; // per row of x: what a sum of codes times x is worth (set_units)
var<private> acc: array<f32, 8>; // per row of x: this lane's part of the current row over the current chunk
var<private> acc_up: array<f32, 8>; // SWIGLU: of the up row
var<private> kept: array<f32, 8>; // per row of x: the finished row this lane stores
var<private> parts: array<f32, 256>; // CHUNKS > 1: per row of x m and row i, this lane's running part at [m · RS + i]
var<private> parts_up: array<f32, 256>;

/** The codes of pair P of the row whose codes start at vec4 index `at`, from the gate (w) or the up (wu) weight. */
fn pair_codes(up: bool, at: u32, P: u32) -> array<vec4<u32>, 4> {
  var q: array<vec4<u32>, 4>;
  let words = QBITS / 2u; // vec4s per pair
  for (var i = 0u; i < words; i++) {
    if (up) { q[i] = wu[at + words * P + i]; } else { q[i] = w[at + words * P + i]; } // `up` is a literal at each call
  }
  return q;
}

/** Word j (8 k, 0…7) of a pair's codes. */
fn word_codes(q: array<vec4<u32>, 4>, j: u32) -> Codes8 {
  if (QBITS == 4u) { return codes(q[j / 4u][j % 4u], 0u); }
  return codes(q[j / 2u][(j % 2u) * 2u], q[j / 2u][(j % 2u) * 2u + 1u]);
}

/** One pair against x row m's slot: the two groups' sums, each times its scale (`sp`, in code units). */
fn pair_dot(q: array<vec4<u32>, 4>, sp: vec2<f32>, m: u32, p: u32) -> f32 {
  var g = vec2<f32>(0.0);
  for (var j = 0u; j < 8u; j++) {
    let c = word_codes(q, j);
    let v = xs[(m * GPL + p) * 8u + j];
    g[j / 4u] += dot(c.e, v.e) + dot(c.o, v.o);
  }
  return dot(sp, g);
}

/** The slices of x for chunk c: lane l's pairs (c · GPL + p) · LANES + l, zero past K (the index clamped). */
fn load_slices(c: u32, lane: u32) {
  let K8 = params.k / 8u;
  let NP = params.k / 64u;
  for (var p = 0u; p < GPL; p++) {
    let P = (c * GPL + p) * LANES + lane;
    let mine = P < NP;
    for (var m = 0u; m < XM; m++) {
      for (var j = 0u; j < 8u; j++) {
        let v = load_x(m, min(P, NP - 1u) * 8u + j, K8, mine);
        xs[(m * GPL + p) * 8u + j] = X8(select(vec4<f32>(0.0), v.e, mine), select(vec4<f32>(0.0), v.o, mine));
      }
    }
  }
}

/** This lane's part of row n over chunk c's pairs, per row of x, in acc (SWIGLU: and the up row's in acc_up). */
fn row_parts(n: u32, c: u32, lane: u32) {
  let G = params.k / 32u;
  let NP = params.k / 64u;
  let at = n * G * (QBITS / 4u);
  let si = ((params.s_row + n) * G) / 2u; // G is even: a pair's scales are one u32
  for (var m = 0u; m < XM; m++) { acc[m] = 0.0; acc_up[m] = 0.0; }
  for (var p = 0u; p < GPL; p++) {
    let P = min((c * GPL + p) * LANES + lane, NP - 1u);
    let q = pair_codes(false, at, P);
    let sp = unpack2x16float(s[si + P]);
    for (var m = 0u; m < XM; m++) { acc[m] += pair_dot(q, sp, m, p); }
    if (SWIGLU) {
      let qu = pair_codes(true, at, P);
      let spu = unpack2x16float(su[si + P]);
      for (var m = 0u; m < XM; m++) { acc_up[m] += pair_dot(qu, spu, m, p); }
    }
  }
}

/**
 * Row i of the subgroup's RS from its lanes' parts (`part`, `part_up`): summed, scaled, kept by lane i % LANES; after
 * every LANES rows each lane stores the row it kept, with the epilogue.
 */
fn finish_row(i: u32, lane: u32, part: array<f32, 8>, part_up: array<f32, 8>) {
  for (var m = 0u; m < XM; m++) {
    var v = subgroupAdd(part[m]) * unit[m];
    if (SWIGLU) { v = v / (1.0 + exp(-v)) * (subgroupAdd(part_up[m]) * unit[m]); }
    if (lane == i % LANES) { kept[m] = v; }
  }
  if (i % LANES != LANES - 1u) { return; }
  let n = n0 + i + 1u - LANES + lane;
  if (n >= params.n) { return; }
  var bias = 0.0;
  if (HAS_BIAS && !SWIGLU) { bias = b[params.b_off + n]; }
  for (var m = 0u; m < XM; m++) {
    let o = (params.m_off + m) * params.y_stride + params.y_col + n;
    var v = kept[m];
    if (!SWIGLU) {
      v += bias;
      if (HAS_RESIDUAL) { v += res[o]; }
    }
    y[o] = v;
  }
}

/** Per row of x: code_unit(), times the norm's scale (NORM; once all of x's squares are summed). */
fn set_units() {
  for (var m = 0u; m < XM; m++) {
    unit[m] = code_unit();
    if (NORM) { unit[m] *= inverseSqrt(subgroupAdd(ss[m]) / f32(params.k) + params.eps); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  let N = params.n;
  n0 = ((wid.y * nwg.x + wid.x) * (WG / LANES) + lid / LANES) * RS; // uniform across the subgroup
  if (lanes != LANES) { // a layout this kernel was not built for: poison rather than sum the wrong lanes
    var nan = 0x7fc00000u; // a var: WGSL refuses a NaN constant
    for (var m = 0u; m < XM; m++) { for (var i = lid; i < N; i += WG) { y[(params.m_off + m) * params.y_stride + params.y_col + i] = bitcast<f32>(nan); } }
    return;
  }
  if (n0 >= N) { return; }
  if (CHUNKS == 1u) { // all of the slices in registers: each row is finished as it is summed
    load_slices(0u, lane);
    set_units();
    for (var i = 0u; i < RS; i++) {
      row_parts(min(n0 + i, N - 1u), 0u, lane); // tails: clamp loads, guard stores
      finish_row(i, lane, acc, acc_up);
    }
    return;
  }
  // K in chunks: the rows' running parts wait in `parts` (indexed by row, past registers) until the last chunk
  for (var i = 0u; i < XM * RS; i++) { parts[i] = 0.0; parts_up[i] = 0.0; }
  for (var c = 0u; c < CHUNKS; c++) {
    load_slices(c, lane);
    for (var i = 0u; i < RS; i++) {
      row_parts(min(n0 + i, N - 1u), c, lane);
      for (var m = 0u; m < XM; m++) {
        parts[m * RS + i] += acc[m];
        if (SWIGLU) { parts_up[m * RS + i] += acc_up[m]; }
      }
    }
  }
  set_units();
  for (var i = 0u; i < RS; i++) {
    var part: array<f32, 8>;
    var part_up: array<f32, 8>;
    for (var m = 0u; m < XM; m++) {
      part[m] = parts[m * RS + i];
      part_up[m] = parts_up[m * RS + i];
    }
    finish_row(i, lane, part, part_up);
  }
}
