// linear_vec_swiglu_shuffle (decode GEMV + SwiGLU, x shared through subgroups):
// y[m, n] = silu(Σ_k x[m, k]·wg[n, k]) · (Σ_k x[m, k]·wu[n, k]), m < XM ≤ 8. NORM, an RMSNorm prologue (Qwen2's
// post_attention_layernorm): both sums become s[m]·Σ_k x[m, k]·norm_w[k]·w[n, k], s[m] = rsqrt(Σ_k x[m, k]²/K + eps).
// x f32 [XM, K]; norm_w f32 [K]; wg, wu bf16 [N, K] packed two per u32 (gate_proj, up_proj), read as vec4<u32>
// (8 weights per load); y f32 [XM, N].
// Threads: kernels/linear_vec_swiglu.wgsl's mapping — one invocation owns R rows n = base + lid + WG·r of both
// weights and all XM rows of x; a vec4<u32> holds k..k+7 with even k in the low halves and odd k in the high
// halves, x is regrouped into even/odd lanes (.xz / .yw). silu(g) = g / (1 + exp(−g)). x is loaded once per
// subgroup as in kernels/linear_vec_shuffle.wgsl (the reasons, the layout check and the SHARE_X = false direct-load
// path are described there): lane l loads word kb + l of every x row (NORM: times norm_w, its x² added to a part of
// Σx², summed by subgroupAdd after the loop), and word kb + t comes from lane t by subgroupShuffle.
// Reference: runtime/reference/elementwise.ts siluMul ∘ runtime/reference/linear.ts linear. Upstream: Qwen2MLP
// act_fn(gate_proj(x)) * up_proj(x) (NORM: ∘ runtime/reference/norms.ts rmsNorm, Qwen2RMSNorm).
// Limits: needs the `subgroups` feature (runtime/ops/linear_vec_shuffle.ts runs kernels/linear_vec_swiglu.wgsl
// without it); K % 8 == 0; XM ≤ 8; R ≤ 4; norm_w is a dummy (any bound tensor) without NORM; N ≤ 65535²·WG·R (the
// runtime folds the grid into y).
enable subgroups;
diagnostic(off, subgroup_uniformity);

override WG: u32 = 64;
override R: u32 = 2;
override XM: u32 = 1;
override NORM: bool = false;
override SHARE_X: bool = true;

struct Params { n: u32, k: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> wg: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// #include "gemv_shared_x.wgsl"

var<private> gate: array<array<f32, 4>, 8>; // [m][r]
var<private> up: array<array<f32, 4>, 8>;
var<private> wrow: array<u32, 4>; // vec4 index of each owned row
var<private> glo: array<vec4<f32>, 4>; // the current word of each owned gate row: even k
var<private> ghi: array<vec4<f32>, 4>; // odd k
var<private> ulo: array<vec4<f32>, 4>; // the same for up
var<private> uhi: array<vec4<f32>, 4>;

fn load_weights(k8: u32) {
  for (var r = 0u; r < R; r++) {
    let g4 = wg[wrow[r] + k8];
    let u4 = wu[wrow[r] + k8];
    glo[r] = bitcast<vec4<f32>>(g4 << vec4<u32>(16u));
    ghi[r] = bitcast<vec4<f32>>(g4 & vec4<u32>(0xffff0000u));
    ulo[r] = bitcast<vec4<f32>>(u4 << vec4<u32>(16u));
    uhi[r] = bitcast<vec4<f32>>(u4 & vec4<u32>(0xffff0000u));
  }
}

fn accumulate(m: u32, v: X8) {
  for (var r = 0u; r < R; r++) {
    gate[m][r] += dot(glo[r], v.e) + dot(ghi[r], v.o);
    up[m][r] += dot(ulo[r], v.e) + dot(uhi[r], v.o);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  let first = (wid.y * nwg.x + wid.x) * WG * R;
  if (first >= N) { return; } // workgroup-uniform: the whole subgroup stays live for the shuffles
  let base = first + lid;
  for (var r = 0u; r < R; r++) { wrow[r] = min(base + WG * r, N - 1u) * K8; } // tails: clamp loads, guard stores

  walk_k(K8, lane, lanes);

  for (var r = 0u; r < R; r++) {
    let n = base + WG * r;
    if (n < N) {
      for (var m = 0u; m < XM; m++) {
        var g = gate[m][r];
        var u = up[m][r];
        if (NORM) {
          let s = inverseSqrt(ss[m] / f32(params.k) + params.eps);
          g *= s;
          u *= s;
        }
        y[m * N + n] = g / (1.0 + exp(-g)) * u;
      }
    }
  }
}
