// The body of the quantized decode GEMV (linear_vec_q, linear_vec_q_shuffle): the bindings, loading and
// dequantizing the owned rows' codes, and the stores. Formats and unpacking: kernels/include/quant_codes.wgsl
// (QBITS 4 or 8); one f16 scale per group of 32 codes along K; a weight is q · f32(scale), exact in f32 (an 8-bit code times an 11-bit significand), so the products match the float64
// reference on the dequantized values to the usual f32 accumulation error.
// One invocation owns R rows n = base + WG·r of this dispatch's row chunk (s_row: the chunk's first row, for the
// scales, bound whole) and all XM rows of x (bound from the dispatch's first row; m_off places them in y and res).
// K is walked a group of 32 at a time: the group's codes come in one (q4) or two (q8) vec4 loads per row
// (lavapipe pays per load instruction, not per byte: a scalar load costs what a vec4 does) with its scale, then
// four steps of 8 k take their words by literal index (no dynamic indexing of registers). With x shared
// (linear_vec_q_shuffle.wgsl) a block of subgroup-size words of x is handed out a group at a time.
// SWIGLU: every owned row n also has an up row (wu, su), and y = silu(gate)·up (no bias, no residual).
override WG: u32 = 64;
override R: u32 = 2;
override WORDS: u32 = QBITS / 4u; // vec4s of codes per group of 32 k

// #include "quant_codes.wgsl"

// #include "gemv_q_io.wgsl"

var<private> acc: array<array<f32, 8>, 8>; // [m][r]; SWIGLU: the gate row
var<private> acc_up: array<array<f32, 8>, 8>; // SWIGLU: the up row
var<private> base: u32;
var<private> wrow: array<u32, 8>; // vec4 index of each owned row's first codes
var<private> wq: array<vec4<u32>, 8>; // the current group's codes of each owned row (q8: the first half)
var<private> wq2: array<vec4<u32>, 8>; // q8: the second half
var<private> uq: array<vec4<u32>, 8>; // SWIGLU: the same for its up row
var<private> uq2: array<vec4<u32>, 8>;
var<private> srow: array<u32, 8>; // index of each owned row's first scale
var<private> sw: array<f32, 8>; // the current group's scale of each owned row
var<private> su_r: array<f32, 8>; // SWIGLU: of its up row
var<private> sword: array<u32, 8>; // the u32 holding it (two groups' scales)
var<private> suword: array<u32, 8>; // SWIGLU: of its up row

/**
 * Group g (32 k) of every owned row: its 16 (q4) or 32 (q8) bytes of codes and its scale. Groups come in order from
 * 0, and a u32 holds the scales of two consecutive groups, so it is loaded at the first of them only (every other
 * group when K/32 is even, as in every InternVL shape: a load saved that costs lavapipe what 16 codes' unpacking do).
 */
fn load_group(g: u32) {
  for (var r = 0u; r < R; r++) {
    let at = wrow[r] + g * WORDS;
    wq[r] = w[at];
    if (QBITS == 8u) { wq2[r] = w[at + 1u]; }
    let si = srow[r] + g;
    let fresh = g == 0u || (si & 1u) == 0u;
    if (fresh) { sword[r] = s[si >> 1u]; }
    sw[r] = half_of(sword[r], si) * code_unit();
    if (SWIGLU) {
      uq[r] = wu[at];
      if (QBITS == 8u) { uq2[r] = wu[at + 1u]; }
      if (fresh) { suword[r] = su[si >> 1u]; }
      su_r[r] = half_of(suword[r], si) * code_unit();
    }
  }
}

/** The 8 codes of step j (0…3, a literal at every call, so the word indices are too) of a group's codes. */
fn step_codes(q: vec4<u32>, q2: vec4<u32>, j: u32) -> Codes8 {
  if (QBITS == 4u) { return codes(q[j], 0u); }
  if (j < 2u) { return codes(q[2u * j], q[2u * j + 1u]); }
  return codes(q2[2u * j - 4u], q2[2u * j - 3u]);
}

/**
 * Step j of the current group: the 8 codes of each owned row times the x words `xs` gives for each row of x, the
 * group's scale applied to the sum (one multiply per row and step, not per weight).
 */
fn step(j: u32, xs: ptr<function, array<X8, 8>>) {
  for (var r = 0u; r < R; r++) {
    let c = step_codes(wq[r], wq2[r], j);
    for (var m = 0u; m < XM; m++) { acc[m][r] += sw[r] * (dot(c.e, (*xs)[m].e) + dot(c.o, (*xs)[m].o)); }
    if (SWIGLU) {
      let u = step_codes(uq[r], uq2[r], j);
      for (var m = 0u; m < XM; m++) { acc_up[m][r] += su_r[r] * (dot(u.e, (*xs)[m].e) + dot(u.o, (*xs)[m].o)); }
    }
  }
}

/** One step of 8 k with x word k8 loaded by this invocation. */
fn step_direct(k8: u32, j: u32, K8: u32) {
  var xs: array<X8, 8>;
  for (var m = 0u; m < XM; m++) { xs[m] = load_x(m, k8, K8, true); }
  step(j, &xs);
}

/** All of K, a group at a time, every invocation loading x (and with NORM all of Σx²) itself. */
fn walk_groups_direct(K8: u32) {
  for (var k8 = 0u; k8 < K8; k8 += 4u) {
    load_group(k8 / 4u);
    step_direct(k8, 0u, K8);
    step_direct(k8 + 1u, 1u, K8);
    step_direct(k8 + 2u, 2u, K8);
    step_direct(k8 + 3u, 3u, K8);
  }
}

/** The owned rows of this workgroup; false (the whole workgroup alike) when it has none. */
fn begin(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> bool {
  let N = params.n;
  let first = (wid.y * nwg.x + wid.x) * WG * R;
  if (first >= N) { return false; }
  base = first + lid;
  for (var r = 0u; r < R; r++) {
    let n = min(base + WG * r, N - 1u); // tails: clamp loads, guard stores
    wrow[r] = n * (params.k / 32u) * WORDS;
    srow[r] = (params.s_row + n) * (params.k / 32u);
  }
  return true;
}

fn finish() {
  for (var r = 0u; r < R; r++) {
    let n = base + WG * r;
    if (n >= params.n) { continue; }
    var bias = 0.0;
    if (HAS_BIAS && !SWIGLU) { bias = b[params.b_off + n]; }
    for (var m = 0u; m < XM; m++) {
      let o = (params.m_off + m) * params.y_stride + params.y_col + n;
      var scale = 1.0;
      if (NORM) { scale = inverseSqrt(ss[m] / f32(params.k) + params.eps); }
      var v = acc[m][r] * scale;
      if (SWIGLU) {
        y[o] = v / (1.0 + exp(-v)) * (acc_up[m][r] * scale);
      } else {
        v += bias;
        if (HAS_RESIDUAL) { v += res[o]; }
        y[o] = v;
      }
    }
  }
}
