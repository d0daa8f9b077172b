// The body of the quantized decode GEMV (linear_vec_q, linear_vec_q_shuffle): the bindings, loading and
// dequantizing the owned rows' codes, and the stores. Formats (runtime/quant.ts): QBITS 4 — word j of a row holds
// codes 8j … 8j+7, code 8j+i in bits 4i … 4i+3 as q + 8; QBITS 8 — word j holds codes 4j … 4j+3, code 4j+i in
// byte i as int8. Scales: f16 [N, K/32] packed two per u32, one per group of 32 codes along K; a weight is
// q · f32(scale), exact in f32 (an 8-bit code times an 11-bit significand), so the products match the float64
// reference on the dequantized values to the usual f32 accumulation error.
// One invocation owns R rows n = base + WG·r of this dispatch's row chunk (s_row: the chunk's first row, for the
// scales, bound whole) and all XM rows of x (bound from the dispatch's first row; m_off places them in y and res).
// The codes come 16 bytes per load (lavapipe pays per load instruction, not per byte: a scalar load costs what a
// vec4 does): a whole group of 32 for q4, half of one for q8, at the step that starts it, with the group's scale;
// the walk's other steps take their word from the registers.
// SWIGLU: every owned row n also has an up row (wu, su), and y = silu(gate)·up (no bias, no residual).
override WG: u32 = 64;
override R: u32 = 2;
override XM: u32 = 1;
override QBITS: u32 = 4;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override NORM: bool = false;
override SWIGLU: bool = false;
override WORDS: u32 = QBITS / 4u; // code words per 8 k

struct Params { m_off: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, s_row: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> s: array<u32>;
@group(0) @binding(3) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> su: array<u32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read> res: array<f32>;
@group(0) @binding(7) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> y: array<f32>;
@group(0) @binding(9) var<uniform> params: Params;

var<private> acc: array<array<f32, 8>, 8>; // [m][r]; SWIGLU: the gate row
var<private> acc_up: array<array<f32, 8>, 8>; // SWIGLU: the up row
var<private> base: u32;
var<private> wrow: array<u32, 8>; // vec4 index of each owned row's first codes
var<private> wq: array<vec4<u32>, 8>; // the current 16 bytes of codes of each owned row
var<private> uq: array<vec4<u32>, 8>; // SWIGLU: of its up row
var<private> srow: array<u32, 8>; // index of each owned row's first scale
var<private> sw: array<f32, 8>; // the current group's scale of each owned row
var<private> su_r: array<f32, 8>; // SWIGLU: of its up row
var<private> wlo: array<vec4<f32>, 8>; // the current 8 weights of each owned row: even k
var<private> whi: array<vec4<f32>, 8>; // odd k
var<private> ulo: array<vec4<f32>, 8>; // SWIGLU: the same for up
var<private> uhi: array<vec4<f32>, 8>;

fn half_of(word: u32, i: u32) -> f32 {
  let p = unpack2x16float(word);
  return select(p.x, p.y, (i & 1u) == 1u);
}

/** The 8 codes of one word (q4) or word pair (q8), regrouped like X8: even k, odd k. */
fn codes(u0: u32, u1: u32) -> X8 {
  if (QBITS == 4u) {
    // nibble n as the f32 2^23 + n (its bits OR'ed into 2^23's mantissa), minus 2^23 + 8: n − 8 exactly, in two
    // integer ops and one subtraction (an unsigned-to-float conversion costs several instructions on AVX2)
    let v = vec4<u32>(u0);
    let magic = vec4<u32>(0x4b000000u);
    return X8(bitcast<vec4<f32>>(((v >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(15u)) | magic) - 8388616.0,
              bitcast<vec4<f32>>(((v >> vec4<u32>(4u, 12u, 20u, 28u)) & vec4<u32>(15u)) | magic) - 8388616.0);
  }
  let v = vec4<u32>(u0, u0, u1, u1);
  return X8(vec4<f32>(bitcast<vec4<i32>>(v << vec4<u32>(24u, 8u, 24u, 8u)) >> vec4<u32>(24u)),
            vec4<f32>(bitcast<vec4<i32>>(v << vec4<u32>(16u, 0u, 16u, 0u)) >> vec4<u32>(24u)));
}

fn load_weights(k8: u32) {
  let per_load = 4u / WORDS; // steps of 8 k per vec4 of codes: 4 (q4), 2 (q8)
  let fresh = k8 % per_load == 0u;
  let group_start = (k8 & 3u) == 0u; // 4 steps of 8 = one group of 32
  let word = (k8 % per_load) * WORDS; // this step's first word in the vec4
  for (var r = 0u; r < R; r++) {
    if (fresh) {
      wq[r] = w[wrow[r] + k8 / per_load];
      if (SWIGLU) { uq[r] = wu[wrow[r] + k8 / per_load]; }
    }
    if (group_start) {
      let si = srow[r] + k8 / 4u;
      sw[r] = half_of(s[si >> 1u], si);
      if (SWIGLU) { su_r[r] = half_of(su[si >> 1u], si); }
    }
    var c = codes(wq[r][word], wq[r][min(word + 1u, 3u)]);
    wlo[r] = c.e * sw[r];
    whi[r] = c.o * sw[r];
    if (SWIGLU) {
      c = codes(uq[r][word], uq[r][min(word + 1u, 3u)]);
      ulo[r] = c.e * su_r[r];
      uhi[r] = c.o * su_r[r];
    }
  }
}

fn accumulate(m: u32, v: X8) {
  for (var r = 0u; r < R; r++) {
    acc[m][r] += dot(wlo[r], v.e) + dot(whi[r], v.o);
    if (SWIGLU) { acc_up[m][r] += dot(ulo[r], v.e) + dot(uhi[r], v.o); }
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
    wrow[r] = n * (params.k / 8u) * WORDS / 4u;
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
