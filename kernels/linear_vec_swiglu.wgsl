// linear_vec_swiglu (decode GEMV + SwiGLU): y[m, n] = silu(Σ_k x[m, k]·wg[n, k]) · (Σ_k x[m, k]·wu[n, k]), m < XM ≤ 8.
// NORM, an RMSNorm prologue (Qwen2's post_attention_layernorm): x[m, k] is first replaced by x[m, k]·s[m]·norm_w[k],
// s[m] = rsqrt(Σ_k x[m, k]²/K + eps); both sums are then s[m]·Σ_k x[m, k]·norm_w[k]·w[n, k].
// x f32 [XM, K]; norm_w f32 [K]; wg, wu bf16 [N, K] packed two per u32 (gate_proj, up_proj), read as vec4<u32>
// (8 weights per load); y f32 [XM, N]. Replaces two GEMVs and the silu_mul pass of Qwen2MLP in a decode step: one
// dispatch, x read once per k for both weights, no [XM, N] gate/up intermediates.
// Threads: as kernels/linear_vec.wgsl — one invocation owns R rows n = base + lid + WG·r of both weights and all XM
// rows of x; a vec4<u32> holds k..k+7 with even k in the low halves and odd k in the high halves, x is regrouped
// into even/odd lanes (.xz / .yw). silu(g) = g / (1 + exp(−g)). NORM: as kernels/linear_vec.wgsl — before the loop
// the workgroup stages x·norm_w (regrouped) in workgroup memory and reduces Σx² into one scale per row, and the loop
// reads the staged x instead of x (no norm_w load in the loop: on CPU rasterisers loads are the cost).
// Reference: runtime/reference/elementwise.ts siluMul ∘ runtime/reference/linear.ts linear. Upstream: Qwen2MLP
// act_fn(gate_proj(x)) * up_proj(x) (NORM: ∘ runtime/reference/norms.ts rmsNorm, Qwen2RMSNorm).
// Limits: K % 8 == 0; XM ≤ 8; R ≤ 4; norm_w is a dummy (any bound tensor) without NORM; N ≤ 65535²·WG·R (the
// runtime folds the grid into y); NORM: 4·(XM·K + WG·XM + 8) bytes of workgroup memory (runtime/ops/linear.ts
// vecNormFits, else the op runs rms_norm first).
override WG: u32 = 64;
override R: u32 = 2;
override XM: u32 = 1;
override NORM: bool = false;
override KW: u32 = 1; // NORM: K/8, the words of 8 k per row of x that the workgroup stages

struct Params { n: u32, k: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> wg: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// NORM: x·norm_w staged (row m, word j at xs[(m·KW + j)·2] even lanes, +1 odd lanes), the invocations' parts of
// Σx² and the per-row scales rsqrt(Σx²/K + eps).
var<workgroup> xs: array<vec4<f32>, select(1u, XM * KW * 2u, NORM)>;
var<workgroup> red: array<f32, select(1u, XM * WG, NORM)>;
var<workgroup> scale: array<f32, 8>;

/** NORM: stages x·norm_w into xs and the scales into `scale`, each invocation taking every WG-th word. */
fn stage(lid: u32) {
  var ss: array<f32, 8>;
  for (var i = lid; i < XM * KW; i += WG) {
    let m = i / KW;
    let j = i % KW;
    let xa = x[i * 2u];
    let xb = x[i * 2u + 1u];
    let na = norm_w[j * 2u];
    let nb = norm_w[j * 2u + 1u];
    let xe = vec4<f32>(xa.xz, xb.xz);
    let xo = vec4<f32>(xa.yw, xb.yw);
    ss[m] += dot(xe, xe) + dot(xo, xo);
    xs[i * 2u] = xe * vec4<f32>(na.xz, nb.xz);
    xs[i * 2u + 1u] = xo * vec4<f32>(na.yw, nb.yw);
  }
  for (var m = 0u; m < XM; m++) { red[m * WG + lid] = ss[m]; }
  workgroupBarrier();
  if (lid < XM) {
    var t = 0.0;
    for (var p = 0u; p < WG; p++) { t += red[lid * WG + p]; }
    scale[lid] = inverseSqrt(t / f32(params.k) + params.eps);
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  let first = (wid.y * nwg.x + wid.x) * WG * R; // uniform across the workgroup, so NORM's barriers stay legal
  if (first >= N) { return; }
  let base = first + lid;
  if (NORM) { stage(lid); } // before anything else is live: barriers are costly to cross on CPU rasterisers

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
      var xe: vec4<f32>;
      var xo: vec4<f32>;
      if (NORM) {
        xe = xs[(m * KW + k8) * 2u];
        xo = xs[(m * KW + k8) * 2u + 1u];
      } else {
        let xa = x[(m * K8 + k8) * 2u];
        let xb = x[(m * K8 + k8) * 2u + 1u];
        xe = vec4<f32>(xa.xz, xb.xz);
        xo = vec4<f32>(xa.yw, xb.yw);
      }
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
        var g = gate[m][r];
        var u = up[m][r];
        if (NORM) {
          g *= scale[m];
          u *= scale[m];
        }
        y[m * N + n] = g / (1.0 + exp(-g)) * u;
      }
    }
  }
}
