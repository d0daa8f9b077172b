// linear_v6: linear_v2 (hand-unrolled, named vec4 accumulators, 8×8 workgroup) with a 8×16 block per thread:
// fewer per-lane loads per FMA ((TN + 2·TM) / (2·TM·TN) = 0.125 vs 0.188 for 8×8), more spilled accumulators.
override HAS_BIAS: bool = false;
struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.m; let N = params.n; let K = params.k; let K2 = K / 2u;
  let n0 = wid.x * 128u + lid.x; let m0 = wid.y * 64u + lid.y;
  let w0 = min(n0 + 0u, N - 1u) * K2;
  let w1 = min(n0 + 8u, N - 1u) * K2;
  let w2 = min(n0 + 16u, N - 1u) * K2;
  let w3 = min(n0 + 24u, N - 1u) * K2;
  let w4 = min(n0 + 32u, N - 1u) * K2;
  let w5 = min(n0 + 40u, N - 1u) * K2;
  let w6 = min(n0 + 48u, N - 1u) * K2;
  let w7 = min(n0 + 56u, N - 1u) * K2;
  let w8 = min(n0 + 64u, N - 1u) * K2;
  let w9 = min(n0 + 72u, N - 1u) * K2;
  let w10 = min(n0 + 80u, N - 1u) * K2;
  let w11 = min(n0 + 88u, N - 1u) * K2;
  let w12 = min(n0 + 96u, N - 1u) * K2;
  let w13 = min(n0 + 104u, N - 1u) * K2;
  let w14 = min(n0 + 112u, N - 1u) * K2;
  let w15 = min(n0 + 120u, N - 1u) * K2;
  let x0 = min(m0 + 0u, M - 1u) * K;
  let x1 = min(m0 + 8u, M - 1u) * K;
  let x2 = min(m0 + 16u, M - 1u) * K;
  let x3 = min(m0 + 24u, M - 1u) * K;
  let x4 = min(m0 + 32u, M - 1u) * K;
  let x5 = min(m0 + 40u, M - 1u) * K;
  let x6 = min(m0 + 48u, M - 1u) * K;
  let x7 = min(m0 + 56u, M - 1u) * K;
  var a0_0 = vec4<f32>(0.0);
  var a0_1 = vec4<f32>(0.0);
  var a0_2 = vec4<f32>(0.0);
  var a0_3 = vec4<f32>(0.0);
  var a1_0 = vec4<f32>(0.0);
  var a1_1 = vec4<f32>(0.0);
  var a1_2 = vec4<f32>(0.0);
  var a1_3 = vec4<f32>(0.0);
  var a2_0 = vec4<f32>(0.0);
  var a2_1 = vec4<f32>(0.0);
  var a2_2 = vec4<f32>(0.0);
  var a2_3 = vec4<f32>(0.0);
  var a3_0 = vec4<f32>(0.0);
  var a3_1 = vec4<f32>(0.0);
  var a3_2 = vec4<f32>(0.0);
  var a3_3 = vec4<f32>(0.0);
  var a4_0 = vec4<f32>(0.0);
  var a4_1 = vec4<f32>(0.0);
  var a4_2 = vec4<f32>(0.0);
  var a4_3 = vec4<f32>(0.0);
  var a5_0 = vec4<f32>(0.0);
  var a5_1 = vec4<f32>(0.0);
  var a5_2 = vec4<f32>(0.0);
  var a5_3 = vec4<f32>(0.0);
  var a6_0 = vec4<f32>(0.0);
  var a6_1 = vec4<f32>(0.0);
  var a6_2 = vec4<f32>(0.0);
  var a6_3 = vec4<f32>(0.0);
  var a7_0 = vec4<f32>(0.0);
  var a7_1 = vec4<f32>(0.0);
  var a7_2 = vec4<f32>(0.0);
  var a7_3 = vec4<f32>(0.0);
  for (var kk = 0u; kk < K2; kk++) {
    let u0 = vec4<u32>(w[w0 + kk], w[w1 + kk], w[w2 + kk], w[w3 + kk]);
    let lo0 = bitcast<vec4<f32>>(u0 << vec4<u32>(16u));
    let hi0 = bitcast<vec4<f32>>(u0 & vec4<u32>(0xffff0000u));
    let u1 = vec4<u32>(w[w4 + kk], w[w5 + kk], w[w6 + kk], w[w7 + kk]);
    let lo1 = bitcast<vec4<f32>>(u1 << vec4<u32>(16u));
    let hi1 = bitcast<vec4<f32>>(u1 & vec4<u32>(0xffff0000u));
    let u2 = vec4<u32>(w[w8 + kk], w[w9 + kk], w[w10 + kk], w[w11 + kk]);
    let lo2 = bitcast<vec4<f32>>(u2 << vec4<u32>(16u));
    let hi2 = bitcast<vec4<f32>>(u2 & vec4<u32>(0xffff0000u));
    let u3 = vec4<u32>(w[w12 + kk], w[w13 + kk], w[w14 + kk], w[w15 + kk]);
    let lo3 = bitcast<vec4<f32>>(u3 << vec4<u32>(16u));
    let hi3 = bitcast<vec4<f32>>(u3 & vec4<u32>(0xffff0000u));
    let p0 = x[x0 + 2u * kk]; let q0 = x[x0 + 2u * kk + 1u];
    a0_0 += p0 * lo0 + q0 * hi0;
    a0_1 += p0 * lo1 + q0 * hi1;
    a0_2 += p0 * lo2 + q0 * hi2;
    a0_3 += p0 * lo3 + q0 * hi3;
    let p1 = x[x1 + 2u * kk]; let q1 = x[x1 + 2u * kk + 1u];
    a1_0 += p1 * lo0 + q1 * hi0;
    a1_1 += p1 * lo1 + q1 * hi1;
    a1_2 += p1 * lo2 + q1 * hi2;
    a1_3 += p1 * lo3 + q1 * hi3;
    let p2 = x[x2 + 2u * kk]; let q2 = x[x2 + 2u * kk + 1u];
    a2_0 += p2 * lo0 + q2 * hi0;
    a2_1 += p2 * lo1 + q2 * hi1;
    a2_2 += p2 * lo2 + q2 * hi2;
    a2_3 += p2 * lo3 + q2 * hi3;
    let p3 = x[x3 + 2u * kk]; let q3 = x[x3 + 2u * kk + 1u];
    a3_0 += p3 * lo0 + q3 * hi0;
    a3_1 += p3 * lo1 + q3 * hi1;
    a3_2 += p3 * lo2 + q3 * hi2;
    a3_3 += p3 * lo3 + q3 * hi3;
    let p4 = x[x4 + 2u * kk]; let q4 = x[x4 + 2u * kk + 1u];
    a4_0 += p4 * lo0 + q4 * hi0;
    a4_1 += p4 * lo1 + q4 * hi1;
    a4_2 += p4 * lo2 + q4 * hi2;
    a4_3 += p4 * lo3 + q4 * hi3;
    let p5 = x[x5 + 2u * kk]; let q5 = x[x5 + 2u * kk + 1u];
    a5_0 += p5 * lo0 + q5 * hi0;
    a5_1 += p5 * lo1 + q5 * hi1;
    a5_2 += p5 * lo2 + q5 * hi2;
    a5_3 += p5 * lo3 + q5 * hi3;
    let p6 = x[x6 + 2u * kk]; let q6 = x[x6 + 2u * kk + 1u];
    a6_0 += p6 * lo0 + q6 * hi0;
    a6_1 += p6 * lo1 + q6 * hi1;
    a6_2 += p6 * lo2 + q6 * hi2;
    a6_3 += p6 * lo3 + q6 * hi3;
    let p7 = x[x7 + 2u * kk]; let q7 = x[x7 + 2u * kk + 1u];
    a7_0 += p7 * lo0 + q7 * hi0;
    a7_1 += p7 * lo1 + q7 * hi1;
    a7_2 += p7 * lo2 + q7 * hi2;
    a7_3 += p7 * lo3 + q7 * hi3;
  }
  let r0 = m0 + 0u;
  if (r0 < M) {
    if (n0 + 0u < N) { var v = a0_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r0 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a0_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r0 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a0_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r0 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a0_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r0 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a0_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r0 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a0_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r0 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a0_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r0 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a0_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r0 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a0_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r0 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a0_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r0 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a0_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r0 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a0_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r0 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a0_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r0 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a0_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r0 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a0_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r0 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a0_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r0 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r1 = m0 + 8u;
  if (r1 < M) {
    if (n0 + 0u < N) { var v = a1_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r1 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a1_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r1 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a1_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r1 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a1_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r1 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a1_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r1 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a1_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r1 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a1_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r1 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a1_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r1 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a1_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r1 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a1_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r1 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a1_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r1 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a1_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r1 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a1_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r1 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a1_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r1 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a1_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r1 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a1_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r1 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r2 = m0 + 16u;
  if (r2 < M) {
    if (n0 + 0u < N) { var v = a2_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r2 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a2_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r2 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a2_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r2 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a2_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r2 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a2_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r2 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a2_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r2 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a2_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r2 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a2_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r2 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a2_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r2 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a2_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r2 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a2_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r2 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a2_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r2 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a2_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r2 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a2_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r2 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a2_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r2 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a2_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r2 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r3 = m0 + 24u;
  if (r3 < M) {
    if (n0 + 0u < N) { var v = a3_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r3 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a3_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r3 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a3_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r3 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a3_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r3 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a3_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r3 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a3_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r3 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a3_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r3 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a3_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r3 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a3_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r3 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a3_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r3 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a3_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r3 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a3_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r3 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a3_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r3 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a3_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r3 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a3_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r3 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a3_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r3 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r4 = m0 + 32u;
  if (r4 < M) {
    if (n0 + 0u < N) { var v = a4_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r4 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a4_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r4 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a4_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r4 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a4_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r4 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a4_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r4 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a4_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r4 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a4_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r4 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a4_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r4 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a4_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r4 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a4_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r4 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a4_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r4 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a4_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r4 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a4_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r4 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a4_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r4 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a4_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r4 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a4_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r4 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r5 = m0 + 40u;
  if (r5 < M) {
    if (n0 + 0u < N) { var v = a5_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r5 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a5_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r5 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a5_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r5 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a5_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r5 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a5_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r5 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a5_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r5 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a5_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r5 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a5_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r5 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a5_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r5 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a5_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r5 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a5_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r5 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a5_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r5 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a5_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r5 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a5_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r5 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a5_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r5 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a5_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r5 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r6 = m0 + 48u;
  if (r6 < M) {
    if (n0 + 0u < N) { var v = a6_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r6 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a6_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r6 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a6_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r6 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a6_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r6 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a6_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r6 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a6_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r6 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a6_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r6 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a6_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r6 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a6_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r6 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a6_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r6 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a6_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r6 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a6_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r6 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a6_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r6 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a6_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r6 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a6_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r6 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a6_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r6 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
  let r7 = m0 + 56u;
  if (r7 < M) {
    if (n0 + 0u < N) { var v = a7_0.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 0u]; } y[r7 * params.y_stride + params.y_col + n0 + 0u] = v; }
    if (n0 + 8u < N) { var v = a7_0.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 8u]; } y[r7 * params.y_stride + params.y_col + n0 + 8u] = v; }
    if (n0 + 16u < N) { var v = a7_0.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 16u]; } y[r7 * params.y_stride + params.y_col + n0 + 16u] = v; }
    if (n0 + 24u < N) { var v = a7_0.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 24u]; } y[r7 * params.y_stride + params.y_col + n0 + 24u] = v; }
    if (n0 + 32u < N) { var v = a7_1.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 32u]; } y[r7 * params.y_stride + params.y_col + n0 + 32u] = v; }
    if (n0 + 40u < N) { var v = a7_1.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 40u]; } y[r7 * params.y_stride + params.y_col + n0 + 40u] = v; }
    if (n0 + 48u < N) { var v = a7_1.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 48u]; } y[r7 * params.y_stride + params.y_col + n0 + 48u] = v; }
    if (n0 + 56u < N) { var v = a7_1.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 56u]; } y[r7 * params.y_stride + params.y_col + n0 + 56u] = v; }
    if (n0 + 64u < N) { var v = a7_2.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 64u]; } y[r7 * params.y_stride + params.y_col + n0 + 64u] = v; }
    if (n0 + 72u < N) { var v = a7_2.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 72u]; } y[r7 * params.y_stride + params.y_col + n0 + 72u] = v; }
    if (n0 + 80u < N) { var v = a7_2.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 80u]; } y[r7 * params.y_stride + params.y_col + n0 + 80u] = v; }
    if (n0 + 88u < N) { var v = a7_2.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 88u]; } y[r7 * params.y_stride + params.y_col + n0 + 88u] = v; }
    if (n0 + 96u < N) { var v = a7_3.x; if (HAS_BIAS) { v += b[params.b_off + n0 + 96u]; } y[r7 * params.y_stride + params.y_col + n0 + 96u] = v; }
    if (n0 + 104u < N) { var v = a7_3.y; if (HAS_BIAS) { v += b[params.b_off + n0 + 104u]; } y[r7 * params.y_stride + params.y_col + n0 + 104u] = v; }
    if (n0 + 112u < N) { var v = a7_3.z; if (HAS_BIAS) { v += b[params.b_off + n0 + 112u]; } y[r7 * params.y_stride + params.y_col + n0 + 112u] = v; }
    if (n0 + 120u < N) { var v = a7_3.w; if (HAS_BIAS) { v += b[params.b_off + n0 + 120u]; } y[r7 * params.y_stride + params.y_col + n0 + 120u] = v; }
  }
}
