// linear_vec_shuffle (GEMV for decode, x shared through subgroups): y[m, y_col + n] = Σ_k x[m, k]·w[n, k] + b[b_off + n]
// (+ res[m, y_col + n]), m < XM ≤ 8. NORM, an RMSNorm prologue (Qwen2RMSNorm before q/k/v and lm_head):
// y[m, y_col + n] = s[m]·Σ_k x[m, k]·norm_w[k]·w[n, k] + b + res, s[m] = rsqrt(Σ_k x[m, k]²/K + eps).
// x f32 [XM, K]; w bf16 [N, K] packed two per u32, read as vec4<u32> (8 weights per load); b f32; res (the residual
// stream, HAS_RESIDUAL), y f32 with row stride y_stride; norm_w f32 [K].
// Threads: kernels/linear_vec.wgsl's mapping — one invocation owns R weight rows n = base + lid + WG·r (r < R) and
// all XM rows of x, streaming along K eight weights (one vec4<u32> word) at a time, even k in the low halves and
// odd k in the high halves, x regrouped into even/odd lanes (.xz / .yw). Every invocation needs the same x, and
// lavapipe turns each storage load with a computed offset into one scalar load per lane (with R = 2, linear_vec
// spends half its loads re-reading x), so x is loaded once per subgroup: per block of subgroup_size words, lane l
// loads word kb + l of every x row (with NORM: times norm_w, and adds its x² to a part of Σx²), and the loop over
// the block takes word kb + t from lane t by subgroupShuffle. NORM needs no workgroup memory and no barrier: the
// parts of Σx² are summed by subgroupAdd after the loop and the scale is applied at the store.
// Subgroup layout: any lane order works (each lane loads the word of its own subgroup_invocation_id), but every
// lane 0..subgroup_size−1 must be live (a subgroup wider than the workgroup has missing lanes): checked at run time
// by subgroupAdd(1) == subgroup_size; otherwise (or SHARE_X = false, which the test forces) every invocation loads
// x (and norm_w) itself. The choice is subgroup-uniform, which is all subgroupShuffle needs; WGSL's uniformity
// analysis only proves workgroup uniformity, hence `diagnostic(off, subgroup_uniformity)`.
// Reference: runtime/reference/linear.ts linear (NORM: ∘ runtime/reference/norms.ts rmsNorm). Upstream:
// torch.nn.Linear / F.linear (NORM: after Qwen2RMSNorm).
// Limits: needs the `subgroups` feature (runtime/ops/linear_vec_shuffle.ts runs kernels/linear_vec.wgsl without it);
// K % 8 == 0; XM ≤ 8; R ≤ 8; the weight binding starts 16-byte aligned; b, res, norm_w are dummies (any bound
// tensor) when unused; N ≤ 65535²·WG·R (the runtime folds the grid into y).
enable subgroups;
diagnostic(off, subgroup_uniformity);

override WG: u32 = 64;
override R: u32 = 2;
override XM: u32 = 1;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override NORM: bool = false;
override SHARE_X: bool = true;

struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> res: array<f32>;
@group(0) @binding(4) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

// #include "gemv_shared_x.wgsl"

var<private> acc: array<array<f32, 8>, 8>; // [m][r]
var<private> wrow: array<u32, 8>; // vec4 index of each owned weight row
var<private> wlo: array<vec4<f32>, 8>; // the current word of each owned row: even k
var<private> whi: array<vec4<f32>, 8>; // odd k

fn load_weights(k8: u32) {
  for (var r = 0u; r < R; r++) {
    let wv = w[wrow[r] + k8];
    wlo[r] = bitcast<vec4<f32>>(wv << vec4<u32>(16u));
    whi[r] = bitcast<vec4<f32>>(wv & vec4<u32>(0xffff0000u));
  }
}

fn accumulate(m: u32, v: X8) {
  for (var r = 0u; r < R; r++) { acc[m][r] += dot(wlo[r], v.e) + dot(whi[r], v.o); }
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
      var bias = 0.0;
      if (HAS_BIAS) { bias = b[params.b_off + n]; }
      for (var m = 0u; m < XM; m++) {
        let o = m * params.y_stride + params.y_col + n;
        var v = acc[m][r];
        if (NORM) { v *= inverseSqrt(ss[m] / f32(params.k) + params.eps); }
        v += bias;
        if (HAS_RESIDUAL) { v += res[o]; }
        y[o] = v;
      }
    }
  }
}
