// linear_vec (GEMV for decode): y[m, y_col + n] = Σ_k x[m, k]·w[n, k] + b[b_off + n] (+ res[m, y_col + n]), m < XM ≤ 8.
// x f32 [XM, K]; w bf16 [N, K] packed two per u32, read as vec4<u32> (8 weights per load); b f32; res (the residual
// stream, HAS_RESIDUAL: the decoder's add fused into o_proj / down_proj), y f32 with row stride y_stride.
// Threads: one invocation owns R weight rows n = base + lid + WG·r (r < R) and all XM rows of x, streaming
// along K eight weights at a time. A vec4<u32> holds k..k+7: its low halves are the even k, its high halves
// the odd k; x is loaded as two vec4<f32> and regrouped into even/odd lanes in registers (.xz / .yw), so the
// inner step is two dot products per (m, r). Each weight word is loaded once; x is re-read per invocation
// from cache (it is at most 8·K floats).
// Reference: runtime/reference/linear.ts linear. Upstream: torch.nn.Linear / F.linear.
// Limits: K % 8 == 0 (the op falls back to kernels/linear.wgsl otherwise); XM ≤ 8; R ≤ 8; the weight
// binding starts 16-byte aligned; b, res are dummies (any bound tensor) when unused; N ≤ 65535²·WG·R (the runtime
// folds the grid into y).
override WG: u32 = 64;
override R: u32 = 4;
override XM: u32 = 1;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;

struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> res: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  let base = (wid.y * nwg.x + wid.x) * WG * R + lid;
  if (base - lid >= N) { return; }

  var wrow: array<u32, 8>;
  for (var r = 0u; r < R; r++) { wrow[r] = min(base + WG * r, N - 1u) * K8; }
  var acc: array<array<f32, 8>, 8>;
  for (var m = 0u; m < XM; m++) { for (var r = 0u; r < R; r++) { acc[m][r] = 0.0; } }

  for (var k8 = 0u; k8 < K8; k8++) {
    var lo: array<vec4<f32>, 8>;
    var hi: array<vec4<f32>, 8>;
    for (var r = 0u; r < R; r++) {
      let wv = w[wrow[r] + k8];
      lo[r] = bitcast<vec4<f32>>(wv << vec4<u32>(16u));
      hi[r] = bitcast<vec4<f32>>(wv & vec4<u32>(0xffff0000u));
    }
    for (var m = 0u; m < XM; m++) {
      let xa = x[(m * K8 + k8) * 2u];
      let xb = x[(m * K8 + k8) * 2u + 1u];
      let xe = vec4<f32>(xa.xz, xb.xz);
      let xo = vec4<f32>(xa.yw, xb.yw);
      for (var r = 0u; r < R; r++) { acc[m][r] += dot(lo[r], xe) + dot(hi[r], xo); }
    }
  }

  for (var r = 0u; r < R; r++) {
    let n = base + WG * r;
    if (n < N) {
      var bias = 0.0;
      if (HAS_BIAS) { bias = b[params.b_off + n]; }
      for (var m = 0u; m < XM; m++) {
        let o = m * params.y_stride + params.y_col + n;
        var v = acc[m][r] + bias;
        if (HAS_RESIDUAL) { v += res[o]; }
        y[o] = v;
      }
    }
  }
}
