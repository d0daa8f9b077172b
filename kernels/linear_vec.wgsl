// linear_vec (GEMV for decode): y[m, y_col + n] = Σ_k x[m, k]·w[n, k] + b[b_off + n] (+ res[m, y_col + n]), m < XM ≤ 8.
// NORM, an RMSNorm prologue (Qwen2RMSNorm before q/k/v and lm_head): x[m, k] is first replaced by
// x[m, k]·s[m]·norm_w[k], s[m] = rsqrt(Σ_k x[m, k]²/K + eps), computed as
// y[m, y_col + n] = s[m]·Σ_k x[m, k]·norm_w[k]·w[n, k] + b + res.
// x f32 [XM, K]; w bf16 [N, K] packed two per u32, read as vec4<u32> (8 weights per load); b f32; res (the residual
// stream, HAS_RESIDUAL: the decoder's add fused into o_proj / down_proj), y f32 with row stride y_stride;
// norm_w f32 [K].
// Threads: one invocation owns R weight rows n = base + lid + WG·r (r < R) and all XM rows of x, streaming
// along K eight weights at a time. A vec4<u32> holds k..k+7: its low halves are the even k, its high halves
// the odd k; x is loaded as two vec4<f32> and regrouped into even/odd lanes in registers (.xz / .yw), so the
// inner step is two dot products per (m, r). Each weight word is loaded once; x is re-read per invocation
// from cache (it is at most 8·K floats). NORM: on CPU rasterisers loads are the cost, and reading norm_w next to x
// in every invocation's loop adds a third of the loads (measured on lavapipe: q/k/v 40 % slower than rms_norm then
// the plain GEMV); instead, before the loop, the workgroup stages x·norm_w (already regrouped into even/odd lanes)
// in workgroup memory, each invocation taking every WG-th word and adding its squares, reduces the parts of Σx²
// into one scale per row, and the loop reads the staged x in place of x. All barriers come before the loop, while
// little is live (a version staging K in tiles, with barriers inside the loop, ran the SwiGLU ~1.8× slower).
// Reference: runtime/reference/linear.ts linear (NORM: ∘ runtime/reference/norms.ts rmsNorm). Upstream:
// torch.nn.Linear / F.linear (NORM: after Qwen2RMSNorm).
// Limits: K % 8 == 0 (the op falls back to kernels/linear.wgsl otherwise); XM ≤ 8; R ≤ 8; the weight
// binding starts 16-byte aligned; b, res, norm_w are dummies (any bound tensor) when unused; N ≤ 65535²·WG·R (the
// runtime folds the grid into y); NORM: 4·(XM·K + WG·XM + 8) bytes of workgroup memory (runtime/ops/linear.ts
// vecNormFits, else the op runs rms_norm first).
override WG: u32 = 64;
override R: u32 = 4;
override XM: u32 = 1;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override NORM: bool = false;
override KW: u32 = 1; // NORM: K/8, the words of 8 k per row of x that the workgroup stages

struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> res: array<f32>;
@group(0) @binding(4) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

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
        var v = acc[m][r];
        if (NORM) { v *= scale[m]; }
        v += bias;
        if (HAS_RESIDUAL) { v += res[o]; }
        y[o] = v;
      }
    }
  }
}
