// linear_vec_swiglu (decode GEMV + SwiGLU): y[m, n] = silu(Σ_k x[m, k]·wg[n, k]) · (Σ_k x[m, k]·wu[n, k]), m < XM ≤ 8.
// x f32 [XM, K]; wg, wu bf16 [N, K] packed two per u32 (gate_proj, up_proj), read as vec4<u32> (8 weights per load);
// y f32 [XM, N]. Replaces two GEMVs and the silu_mul pass of Qwen2MLP in a decode step: one dispatch, x read once
// per k for both weights, no [XM, N] gate/up intermediates.
// Threads: as kernels/linear_vec.wgsl — one invocation owns R rows n = base + lid + WG·r of both weights and all XM
// rows of x; a vec4<u32> holds k..k+7 with even k in the low halves and odd k in the high halves, x is regrouped
// into even/odd lanes (.xz / .yw). silu(g) = g / (1 + exp(−g)).
// Reference: runtime/reference/elementwise.ts siluMul ∘ runtime/reference/linear.ts linear. Upstream: Qwen2MLP
// act_fn(gate_proj(x)) * up_proj(x).
// Limits: K % 8 == 0; XM ≤ 8; R ≤ 4; N ≤ 65535²·WG·R (the runtime folds the grid into y).
override WG: u32 = 64;
override R: u32 = 2;
override XM: u32 = 1;

struct Params { n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> wg: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  let base = (wid.y * nwg.x + wid.x) * WG * R + lid;
  if (base - lid >= N) { return; }

  var wrow: array<u32, 4>;
  for (var r = 0u; r < R; r++) { wrow[r] = min(base + WG * r, N - 1u) * K8; }
  var gate = array<array<f32, 4>, 8>();
  var up = array<array<f32, 4>, 8>();

  for (var k8 = 0u; k8 < K8; k8++) {
    var glo: array<vec4<f32>, 4>;
    var ghi: array<vec4<f32>, 4>;
    var ulo: array<vec4<f32>, 4>;
    var uhi: array<vec4<f32>, 4>;
    for (var r = 0u; r < R; r++) {
      let g4 = wg[wrow[r] + k8];
      let u4 = wu[wrow[r] + k8];
      glo[r] = bitcast<vec4<f32>>(g4 << vec4<u32>(16u));
      ghi[r] = bitcast<vec4<f32>>(g4 & vec4<u32>(0xffff0000u));
      ulo[r] = bitcast<vec4<f32>>(u4 << vec4<u32>(16u));
      uhi[r] = bitcast<vec4<f32>>(u4 & vec4<u32>(0xffff0000u));
    }
    for (var m = 0u; m < XM; m++) {
      let xa = x[(m * K8 + k8) * 2u];
      let xb = x[(m * K8 + k8) * 2u + 1u];
      let xe = vec4<f32>(xa.xz, xb.xz);
      let xo = vec4<f32>(xa.yw, xb.yw);
      for (var r = 0u; r < R; r++) {
        gate[m][r] += dot(glo[r], xe) + dot(ghi[r], xo);
        up[m][r] += dot(ulo[r], xe) + dot(uhi[r], xo);
      }
    }
  }

  for (var r = 0u; r < R; r++) {
    let n = base + WG * r;
    if (n < N) {
      for (var m = 0u; m < XM; m++) {
        let g = gate[m][r];
        y[m * N + n] = g / (1.0 + exp(-g)) * up[m][r];
      }
    }
  }
}
