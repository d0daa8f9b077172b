// linear_v4: x rows shared by the whole workgroup. A 64×1 workgroup owns 16 rows × 128 columns; lane l owns
// columns n0 + l + 64·j (j < 2) of all 16 rows. The x index depends only on the workgroup and the loop
// counter, so NIR's divergence analysis marks it uniform and lavapipe loads it once per subgroup instead of
// once per lane; only the weight words are per-lane loads. Hand-unrolled, vec4 accumulators over 4 rows.
override HAS_BIAS: bool = false;
struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = params.m; let N = params.n; let K = params.k; let K2 = K / 2u;
  let n0 = wid.x * 128u + lid; let m0 = wid.y * 16u;
  let w0 = min(n0 + 0u, N - 1u) * K2;
  let w1 = min(n0 + 64u, N - 1u) * K2;
  let x0 = min(m0 + 0u, M - 1u) * K;
  let x1 = min(m0 + 1u, M - 1u) * K;
  let x2 = min(m0 + 2u, M - 1u) * K;
  let x3 = min(m0 + 3u, M - 1u) * K;
  let x4 = min(m0 + 4u, M - 1u) * K;
  let x5 = min(m0 + 5u, M - 1u) * K;
  let x6 = min(m0 + 6u, M - 1u) * K;
  let x7 = min(m0 + 7u, M - 1u) * K;
  let x8 = min(m0 + 8u, M - 1u) * K;
  let x9 = min(m0 + 9u, M - 1u) * K;
  let x10 = min(m0 + 10u, M - 1u) * K;
  let x11 = min(m0 + 11u, M - 1u) * K;
  let x12 = min(m0 + 12u, M - 1u) * K;
  let x13 = min(m0 + 13u, M - 1u) * K;
  let x14 = min(m0 + 14u, M - 1u) * K;
  let x15 = min(m0 + 15u, M - 1u) * K;
  var a0_0 = vec4<f32>(0.0);
  var a0_1 = vec4<f32>(0.0);
  var a0_2 = vec4<f32>(0.0);
  var a0_3 = vec4<f32>(0.0);
  var a1_0 = vec4<f32>(0.0);
  var a1_1 = vec4<f32>(0.0);
  var a1_2 = vec4<f32>(0.0);
  var a1_3 = vec4<f32>(0.0);
  for (var kk = 0u; kk < K2; kk++) {
    let k = 2u * kk;
    let e0 = vec4<f32>(x[x0 + k], x[x1 + k], x[x2 + k], x[x3 + k]);
    let o0 = vec4<f32>(x[x0 + k + 1u], x[x1 + k + 1u], x[x2 + k + 1u], x[x3 + k + 1u]);
    let e1 = vec4<f32>(x[x4 + k], x[x5 + k], x[x6 + k], x[x7 + k]);
    let o1 = vec4<f32>(x[x4 + k + 1u], x[x5 + k + 1u], x[x6 + k + 1u], x[x7 + k + 1u]);
    let e2 = vec4<f32>(x[x8 + k], x[x9 + k], x[x10 + k], x[x11 + k]);
    let o2 = vec4<f32>(x[x8 + k + 1u], x[x9 + k + 1u], x[x10 + k + 1u], x[x11 + k + 1u]);
    let e3 = vec4<f32>(x[x12 + k], x[x13 + k], x[x14 + k], x[x15 + k]);
    let o3 = vec4<f32>(x[x12 + k + 1u], x[x13 + k + 1u], x[x14 + k + 1u], x[x15 + k + 1u]);
    let u0 = w[w0 + kk];
    let l0 = bitcast<f32>(u0 << 16u); let h0 = bitcast<f32>(u0 & 0xffff0000u);
    a0_0 += e0 * l0 + o0 * h0;
    a0_1 += e1 * l0 + o1 * h0;
    a0_2 += e2 * l0 + o2 * h0;
    a0_3 += e3 * l0 + o3 * h0;
    let u1 = w[w1 + kk];
    let l1 = bitcast<f32>(u1 << 16u); let h1 = bitcast<f32>(u1 & 0xffff0000u);
    a1_0 += e0 * l1 + o0 * h1;
    a1_1 += e1 * l1 + o1 * h1;
    a1_2 += e2 * l1 + o2 * h1;
    a1_3 += e3 * l1 + o3 * h1;
  }
  let c0 = n0 + 0u;
  if (c0 < N) {
    var bias0 = 0.0; if (HAS_BIAS) { bias0 = b[params.b_off + c0]; }
    if (m0 + 0u < M) { y[(m0 + 0u) * params.y_stride + params.y_col + c0] = a0_0.x + bias0; }
    if (m0 + 1u < M) { y[(m0 + 1u) * params.y_stride + params.y_col + c0] = a0_0.y + bias0; }
    if (m0 + 2u < M) { y[(m0 + 2u) * params.y_stride + params.y_col + c0] = a0_0.z + bias0; }
    if (m0 + 3u < M) { y[(m0 + 3u) * params.y_stride + params.y_col + c0] = a0_0.w + bias0; }
    if (m0 + 4u < M) { y[(m0 + 4u) * params.y_stride + params.y_col + c0] = a0_1.x + bias0; }
    if (m0 + 5u < M) { y[(m0 + 5u) * params.y_stride + params.y_col + c0] = a0_1.y + bias0; }
    if (m0 + 6u < M) { y[(m0 + 6u) * params.y_stride + params.y_col + c0] = a0_1.z + bias0; }
    if (m0 + 7u < M) { y[(m0 + 7u) * params.y_stride + params.y_col + c0] = a0_1.w + bias0; }
    if (m0 + 8u < M) { y[(m0 + 8u) * params.y_stride + params.y_col + c0] = a0_2.x + bias0; }
    if (m0 + 9u < M) { y[(m0 + 9u) * params.y_stride + params.y_col + c0] = a0_2.y + bias0; }
    if (m0 + 10u < M) { y[(m0 + 10u) * params.y_stride + params.y_col + c0] = a0_2.z + bias0; }
    if (m0 + 11u < M) { y[(m0 + 11u) * params.y_stride + params.y_col + c0] = a0_2.w + bias0; }
    if (m0 + 12u < M) { y[(m0 + 12u) * params.y_stride + params.y_col + c0] = a0_3.x + bias0; }
    if (m0 + 13u < M) { y[(m0 + 13u) * params.y_stride + params.y_col + c0] = a0_3.y + bias0; }
    if (m0 + 14u < M) { y[(m0 + 14u) * params.y_stride + params.y_col + c0] = a0_3.z + bias0; }
    if (m0 + 15u < M) { y[(m0 + 15u) * params.y_stride + params.y_col + c0] = a0_3.w + bias0; }
  }
  let c1 = n0 + 64u;
  if (c1 < N) {
    var bias1 = 0.0; if (HAS_BIAS) { bias1 = b[params.b_off + c1]; }
    if (m0 + 0u < M) { y[(m0 + 0u) * params.y_stride + params.y_col + c1] = a1_0.x + bias1; }
    if (m0 + 1u < M) { y[(m0 + 1u) * params.y_stride + params.y_col + c1] = a1_0.y + bias1; }
    if (m0 + 2u < M) { y[(m0 + 2u) * params.y_stride + params.y_col + c1] = a1_0.z + bias1; }
    if (m0 + 3u < M) { y[(m0 + 3u) * params.y_stride + params.y_col + c1] = a1_0.w + bias1; }
    if (m0 + 4u < M) { y[(m0 + 4u) * params.y_stride + params.y_col + c1] = a1_1.x + bias1; }
    if (m0 + 5u < M) { y[(m0 + 5u) * params.y_stride + params.y_col + c1] = a1_1.y + bias1; }
    if (m0 + 6u < M) { y[(m0 + 6u) * params.y_stride + params.y_col + c1] = a1_1.z + bias1; }
    if (m0 + 7u < M) { y[(m0 + 7u) * params.y_stride + params.y_col + c1] = a1_1.w + bias1; }
    if (m0 + 8u < M) { y[(m0 + 8u) * params.y_stride + params.y_col + c1] = a1_2.x + bias1; }
    if (m0 + 9u < M) { y[(m0 + 9u) * params.y_stride + params.y_col + c1] = a1_2.y + bias1; }
    if (m0 + 10u < M) { y[(m0 + 10u) * params.y_stride + params.y_col + c1] = a1_2.z + bias1; }
    if (m0 + 11u < M) { y[(m0 + 11u) * params.y_stride + params.y_col + c1] = a1_2.w + bias1; }
    if (m0 + 12u < M) { y[(m0 + 12u) * params.y_stride + params.y_col + c1] = a1_3.x + bias1; }
    if (m0 + 13u < M) { y[(m0 + 13u) * params.y_stride + params.y_col + c1] = a1_3.y + bias1; }
    if (m0 + 14u < M) { y[(m0 + 14u) * params.y_stride + params.y_col + c1] = a1_3.z + bias1; }
    if (m0 + 15u < M) { y[(m0 + 15u) * params.y_stride + params.y_col + c1] = a1_3.w + bias1; }
  }
}
