// linear_v3: x rows shared by the whole workgroup. A 64×1 workgroup owns 8 rows × 256 columns; lane l owns
// columns n0 + l + 64·j (j < 4) of all 8 rows. The x index depends only on the workgroup and the loop
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
  let n0 = wid.x * 256u + lid; let m0 = wid.y * 8u;
  let w0 = min(n0 + 0u, N - 1u) * K2;
  let w1 = min(n0 + 64u, N - 1u) * K2;
  let w2 = min(n0 + 128u, N - 1u) * K2;
  let w3 = min(n0 + 192u, N - 1u) * K2;
  let x0 = min(m0 + 0u, M - 1u) * K;
  let x1 = min(m0 + 1u, M - 1u) * K;
  let x2 = min(m0 + 2u, M - 1u) * K;
  let x3 = min(m0 + 3u, M - 1u) * K;
  let x4 = min(m0 + 4u, M - 1u) * K;
  let x5 = min(m0 + 5u, M - 1u) * K;
  let x6 = min(m0 + 6u, M - 1u) * K;
  let x7 = min(m0 + 7u, M - 1u) * K;
  var a0_0 = vec4<f32>(0.0);
  var a0_1 = vec4<f32>(0.0);
  var a1_0 = vec4<f32>(0.0);
  var a1_1 = vec4<f32>(0.0);
  var a2_0 = vec4<f32>(0.0);
  var a2_1 = vec4<f32>(0.0);
  var a3_0 = vec4<f32>(0.0);
  var a3_1 = vec4<f32>(0.0);
  for (var kk = 0u; kk < K2; kk++) {
    let k = 2u * kk;
    let e0 = vec4<f32>(x[x0 + k], x[x1 + k], x[x2 + k], x[x3 + k]);
    let o0 = vec4<f32>(x[x0 + k + 1u], x[x1 + k + 1u], x[x2 + k + 1u], x[x3 + k + 1u]);
    let e1 = vec4<f32>(x[x4 + k], x[x5 + k], x[x6 + k], x[x7 + k]);
    let o1 = vec4<f32>(x[x4 + k + 1u], x[x5 + k + 1u], x[x6 + k + 1u], x[x7 + k + 1u]);
    let u0 = w[w0 + kk];
    let l0 = bitcast<f32>(u0 << 16u); let h0 = bitcast<f32>(u0 & 0xffff0000u);
    a0_0 += e0 * l0 + o0 * h0;
    a0_1 += e1 * l0 + o1 * h0;
    let u1 = w[w1 + kk];
    let l1 = bitcast<f32>(u1 << 16u); let h1 = bitcast<f32>(u1 & 0xffff0000u);
    a1_0 += e0 * l1 + o0 * h1;
    a1_1 += e1 * l1 + o1 * h1;
    let u2 = w[w2 + kk];
    let l2 = bitcast<f32>(u2 << 16u); let h2 = bitcast<f32>(u2 & 0xffff0000u);
    a2_0 += e0 * l2 + o0 * h2;
    a2_1 += e1 * l2 + o1 * h2;
    let u3 = w[w3 + kk];
    let l3 = bitcast<f32>(u3 << 16u); let h3 = bitcast<f32>(u3 & 0xffff0000u);
    a3_0 += e0 * l3 + o0 * h3;
    a3_1 += e1 * l3 + o1 * h3;
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
  }
  let c2 = n0 + 128u;
  if (c2 < N) {
    var bias2 = 0.0; if (HAS_BIAS) { bias2 = b[params.b_off + c2]; }
    if (m0 + 0u < M) { y[(m0 + 0u) * params.y_stride + params.y_col + c2] = a2_0.x + bias2; }
    if (m0 + 1u < M) { y[(m0 + 1u) * params.y_stride + params.y_col + c2] = a2_0.y + bias2; }
    if (m0 + 2u < M) { y[(m0 + 2u) * params.y_stride + params.y_col + c2] = a2_0.z + bias2; }
    if (m0 + 3u < M) { y[(m0 + 3u) * params.y_stride + params.y_col + c2] = a2_0.w + bias2; }
    if (m0 + 4u < M) { y[(m0 + 4u) * params.y_stride + params.y_col + c2] = a2_1.x + bias2; }
    if (m0 + 5u < M) { y[(m0 + 5u) * params.y_stride + params.y_col + c2] = a2_1.y + bias2; }
    if (m0 + 6u < M) { y[(m0 + 6u) * params.y_stride + params.y_col + c2] = a2_1.z + bias2; }
    if (m0 + 7u < M) { y[(m0 + 7u) * params.y_stride + params.y_col + c2] = a2_1.w + bias2; }
  }
  let c3 = n0 + 192u;
  if (c3 < N) {
    var bias3 = 0.0; if (HAS_BIAS) { bias3 = b[params.b_off + c3]; }
    if (m0 + 0u < M) { y[(m0 + 0u) * params.y_stride + params.y_col + c3] = a3_0.x + bias3; }
    if (m0 + 1u < M) { y[(m0 + 1u) * params.y_stride + params.y_col + c3] = a3_0.y + bias3; }
    if (m0 + 2u < M) { y[(m0 + 2u) * params.y_stride + params.y_col + c3] = a3_0.z + bias3; }
    if (m0 + 3u < M) { y[(m0 + 3u) * params.y_stride + params.y_col + c3] = a3_0.w + bias3; }
    if (m0 + 4u < M) { y[(m0 + 4u) * params.y_stride + params.y_col + c3] = a3_1.x + bias3; }
    if (m0 + 5u < M) { y[(m0 + 5u) * params.y_stride + params.y_col + c3] = a3_1.y + bias3; }
    if (m0 + 6u < M) { y[(m0 + 6u) * params.y_stride + params.y_col + c3] = a3_1.z + bias3; }
    if (m0 + 7u < M) { y[(m0 + 7u) * params.y_stride + params.y_col + c3] = a3_1.w + bias3; }
  }
}
