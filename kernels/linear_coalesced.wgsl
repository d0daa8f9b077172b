// linear_coalesced (decode GEMV for GPUs, workgroup-memory reduction):
//   y[m, y_col + n] = Σ_k x[m, k]·w[n, k] (+ b[b_off + n]) (+ res[m, y_col + n])         m < XM ≤ 8
//   SWIGLU: y[m, y_col + n] = silu(Σ_k x[m, k]·w[n, k]) · Σ_k x[m, k]·wu[n, k]         (Qwen2MLP gate/up)
//   NORM, an RMSNorm prologue (Qwen2RMSNorm before q/k/v, gate/up, lm_head): x[m, k] is first replaced by
//   x[m, k]·s[m]·norm_w[k], s[m] = rsqrt(Σ_k x[m, k]²/K + eps); every sum above becomes
//   s[m]·Σ_k x[m, k]·norm_w[k]·(w or wu)[n, k]
// x f32 [XM, K]; w, wu bf16 [N, K] packed two per u32, read as vec4<u32> (8 weights per load); b f32 [b_off + N];
// res, y f32 with row stride y_stride (res: the residual stream, same layout as y); norm_w f32 [K].
// QBITS 4 or 8: w and wu are q4/q8 weights (runtime/quant.ts; codes bound as vec4<u32>, kernels/include/
// quant_codes.wgsl) with f16 scales, scales_up [N_total, K/32] bound whole (s_row: this dispatch's first row); per 8 k
// an invocation reads one (q4) or two (q8) u32 of codes — consecutive invocations, consecutive words — and the
// group's scale. QBITS 16: bf16, the scales dummies.
// silu(g) = g / (1 + exp(−g)).
// Threads: a workgroup of WG invocations owns ROWS consecutive rows n0 … n0+ROWS−1 (of w, and of wu with SWIGLU).
// Invocation t reads the 16-byte words k8 = t, t+WG, … of each row, so consecutive invocations read consecutive
// words of one row (coalesced: kernels/linear_vec.wgsl gives each invocation its own rows, 2K bytes apart). A
// vec4<u32> holds k..k+7 with the even k in the low halves and the odd k in the high halves; x is regrouped into
// even/odd lanes (.xz / .yw) and reused from registers for all rows. Each invocation keeps S = XM·RW partial sums
// (RW = ROWS, or 2·ROWS with SWIGLU); NORM adds XM more, the parts of Σx² from the x words already in registers
// (norm_w is loaded next to x), so ST = S (+ XM) sums are reduced in one go. The reduction needs no subgroups:
// every invocation stores its ST sums in `red`, then invocation i = p·ST + s (p < P = ⌊WG/ST⌋) adds slot s of
// invocations p, p+P, … and stores it back at red[i], then invocation o < XM·ROWS adds the P parts of its output
// (and of its row's Σx²) and applies the epilogue: three barriers whatever WG and ST.
// kernels/linear_coalesced_sg.wgsl is the same with subgroupAdd instead of the first two steps.
// Reference: runtime/reference/linear.ts linear (with the residual res), runtime/reference/elementwise.ts siluMul,
// NORM: runtime/reference/norms.ts rmsNorm first. Upstream: torch.nn.Linear / F.linear (+ the decoder layer's
// residual add); Qwen2MLP act_fn(gate_proj(x)) * up_proj(x); Qwen2RMSNorm.
// Limits: K % 8 == 0 (runtime/ops/linear.ts falls back to the GEMM otherwise); ROWS ≤ 4; S ≤ 16; WG·ST·4 bytes of
// workgroup memory (16 KiB at WG 256, ST 16: the WebGPU default limit; with NORM ST ≤ 24 and the op lowers WG to
// fit the device); SWIGLU is used without HAS_BIAS and HAS_RESIDUAL; wu, b, res, norm_w are dummies (any bound
// tensor) when unused; N ≤ 65535²·ROWS (the runtime folds the grid).
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
// #include "coalesced_weights.wgsl"


var<workgroup> red: array<f32, WG * ST>;

/** Σ over `parts` partial sums of slot s (stored at red[p·ST + s]). */
fn total(s: u32, parts: u32) -> f32 {
  var t = 0.0;
  for (var p = 0u; p < parts; p++) { t += red[p * ST + s]; }
  return t;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  let n0 = (wid.y * nwg.x + wid.x) * ROWS;
  if (n0 >= N) { return; }

  var acc: array<f32, 16>;
  var ss: array<f32, 8>; // NORM: this invocation's part of Σ_k x[m, k]²
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

  for (var s = 0u; s < S; s++) { red[lid * ST + s] = acc[s]; }
  if (NORM) {
    for (var m = 0u; m < XM; m++) { red[lid * ST + S + m] = ss[m]; }
  }
  workgroupBarrier();
  let P = WG / ST;
  var part = 0.0;
  if (lid < P * ST) {
    for (var i = lid / ST; i < WG; i += P) { part += red[i * ST + lid % ST]; }
  }
  workgroupBarrier(); // every read of the stored sums is done before the parts overwrite them
  if (lid < P * ST) { red[lid] = part; }
  workgroupBarrier();

  if (lid < XM * ROWS) {
    let m = lid / ROWS;
    let j = lid % ROWS;
    let n = n0 + j;
    if (n < N) {
      let o = m * params.y_stride + params.y_col + n;
      var v = total(m * RW + j, P);
      var u = 0.0;
      if (SWIGLU) { u = total(m * RW + ROWS + j, P); }
      if (NORM) {
        let s = inverseSqrt(total(S + m, P) / f32(params.k) + params.eps);
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
