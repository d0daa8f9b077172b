// The coalesced GEMV twins (linear_coalesced: workgroup-tree reduction; linear_coalesced_sg: subgroupAdd) share
// all but the reduction: overrides, Params, bindings, the walk over K that leaves each invocation's partial sums in
// `acc` (and NORM's parts of Σx² in `ss`), and the epilogue from the reduced sums. Math, threads and limits: the
// header of kernels/linear_coalesced.wgsl. The including kernel declares `red` (its reduced sums, slot s of part p
// at red[p·ST + s]).
override WG: u32 = 128;
override ROWS: u32 = 1;
override XM: u32 = 1;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override SWIGLU: bool = false;
override RW: u32 = ROWS * select(1u, 2u, SWIGLU);
override S: u32 = XM * RW;
override NORM: bool = false;
override ST: u32 = S + select(0u, XM, NORM); // sums reduced per invocation: S dot products, then NORM's XM Σx²
override QBITS: u32 = 16u;

struct Params { n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, s_row: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> scales: array<u32>;
@group(0) @binding(4) var<storage, read> scales_up: array<u32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read> res: array<f32>;
@group(0) @binding(7) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> y: array<f32>;
@group(0) @binding(9) var<uniform> params: Params;

// #include "quant_codes.wgsl"

/**
 * Word k8 (8 k) of row `row` of w (or, `up`, of wu) as f32, even k and odd k: bf16 unpacked (one vec4<u32>), or
 * q4/q8 codes (one or two u32) times their group's scale.
 */
fn row_weights(row: u32, k8: u32, K8: u32, up: bool) -> Codes8 {
  if (QBITS != 16u) {
    let at = (row * K8 + k8) * (QBITS / 4u);
    let si = (params.s_row + row) * (params.k / 32u) + k8 / 4u;
    if (up) { return scaled_codes(wu[at / 4u], at, scales_up[si >> 1u], si); }
    return scaled_codes(w[at / 4u], at, scales[si >> 1u], si);
  }
  var wv: vec4<u32>;
  if (up) { wv = wu[row * K8 + k8]; } else { wv = w[row * K8 + k8]; }
  return Codes8(bitcast<vec4<f32>>(wv << vec4<u32>(16u)), bitcast<vec4<f32>>(wv & vec4<u32>(0xffff0000u)));
}

var<private> acc: array<f32, 16>; // S partial dot products
var<private> ss: array<f32, 8>; // NORM: this invocation's part of Σ_k x[m, k]²

/** This invocation's words k8 = lid, lid + WG, … of rows n0 … n0+ROWS−1 into acc (and ss). */
fn partial_sums(n0: u32, lid: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  for (var k8 = lid; k8 < K8; k8 += WG) {
    var lo: array<vec4<f32>, 8>;
    var hi: array<vec4<f32>, 8>;
    for (var j = 0u; j < ROWS; j++) {
      let row = min(n0 + j, N - 1u); // rows past N (last workgroup) read row N−1 and are not written
      let c = row_weights(row, k8, K8, false);
      lo[j] = c.e;
      hi[j] = c.o;
      if (SWIGLU) {
        let u = row_weights(row, k8, K8, true);
        lo[ROWS + j] = u.e;
        hi[ROWS + j] = u.o;
      }
    }
    var ne = vec4<f32>(1.0);
    var no = vec4<f32>(1.0);
    if (NORM) {
      let na = norm_w[k8 * 2u];
      let nb = norm_w[k8 * 2u + 1u];
      ne = vec4<f32>(na.xz, nb.xz);
      no = vec4<f32>(na.yw, nb.yw);
    }
    for (var m = 0u; m < XM; m++) {
      let xa = x[(m * K8 + k8) * 2u];
      let xb = x[(m * K8 + k8) * 2u + 1u];
      var xe = vec4<f32>(xa.xz, xb.xz);
      var xo = vec4<f32>(xa.yw, xb.yw);
      if (NORM) {
        ss[m] += dot(xe, xe) + dot(xo, xo);
        xe *= ne;
        xo *= no;
      }
      for (var j = 0u; j < RW; j++) { acc[m * RW + j] += dot(lo[j], xe) + dot(hi[j], xo); }
    }
  }
}

/** Σ over `parts` partial sums of slot s (stored at red[p·ST + s]). */
fn total(s: u32, parts: u32) -> f32 {
  var t = 0.0;
  for (var p = 0u; p < parts; p++) { t += red[p * ST + s]; }
  return t;
}

/** Invocations lid < XM·ROWS: output (m, n0 + j) from the `parts` reduced sums of each slot, with the epilogue. */
fn write_outputs(n0: u32, lid: u32, parts: u32) {
  let N = params.n;
  if (lid < XM * ROWS) {
    let m = lid / ROWS;
    let j = lid % ROWS;
    let n = n0 + j;
    if (n < N) {
      let o = m * params.y_stride + params.y_col + n;
      var v = total(m * RW + j, parts);
      var u = 0.0;
      if (SWIGLU) { u = total(m * RW + ROWS + j, parts); }
      if (NORM) {
        let s = inverseSqrt(total(S + m, parts) / f32(params.k) + params.eps);
        v *= s;
        u *= s;
      }
      if (SWIGLU) { v = v / (1.0 + exp(-v)) * u; }
      if (HAS_BIAS) { v += b[params.b_off + n]; }
      if (HAS_RESIDUAL) { v += res[o]; }
      y[o] = v;
    }
  }
}
