// linear_coalesced (decode GEMV for GPUs, workgroup-memory reduction):
//   y[m, y_col + n] = Σ_k x[m, k]·w[n, k] (+ b[b_off + n]) (+ res[m, y_col + n])         m < XM ≤ 8
//   SWIGLU: y[m, y_col + n] = silu(Σ_k x[m, k]·w[n, k]) · Σ_k x[m, k]·wu[n, k]         (Qwen2MLP gate/up)
// x f32 [XM, K]; w, wu bf16 [N, K] packed two per u32, read as vec4<u32> (8 weights per load); b f32 [b_off + N];
// res, y f32 with row stride y_stride (res: the residual stream, same layout as y). silu(g) = g / (1 + exp(−g)).
// Threads: a workgroup of WG invocations owns ROWS consecutive rows n0 … n0+ROWS−1 (of w, and of wu with SWIGLU).
// Invocation t reads the 16-byte words k8 = t, t+WG, … of each row, so consecutive invocations read consecutive
// words of one row (coalesced: kernels/linear_vec.wgsl gives each invocation its own rows, 2K bytes apart). A
// vec4<u32> holds k..k+7 with the even k in the low halves and the odd k in the high halves; x is regrouped into
// even/odd lanes (.xz / .yw) and reused from registers for all rows. Each invocation keeps S = XM·RW partial sums
// (RW = ROWS, or 2·ROWS with SWIGLU); the reduction needs no subgroups: every invocation stores its S sums in
// `red`, then invocation i = p·S + s (p < P = ⌊WG/S⌋) adds slot s of invocations p, p+P, … and stores it back at
// red[i], then invocation o < XM·ROWS adds the P parts of its output and applies the epilogue: three barriers
// whatever WG and S. kernels/linear_coalesced_sg.wgsl is the same with subgroupAdd instead of the first two steps.
// Reference: runtime/reference/linear.ts linear (with the residual res), runtime/reference/elementwise.ts siluMul.
// Upstream: torch.nn.Linear / F.linear (+ the decoder layer's residual add); Qwen2MLP act_fn(gate_proj(x)) * up_proj(x).
// Limits: K % 8 == 0 (runtime/ops/linear.ts falls back to the GEMM otherwise); ROWS ≤ 4; S ≤ 16; WG·S·4 bytes of
// workgroup memory (16 KiB at WG 256, S 16: the WebGPU default limit); SWIGLU is used without HAS_BIAS and
// HAS_RESIDUAL; wu, b, res are dummies (any bound tensor) when unused; N ≤ 65535²·ROWS (the runtime folds the grid).
override WG: u32 = 128;
override ROWS: u32 = 1;
override XM: u32 = 1;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override SWIGLU: bool = false;
override RW: u32 = ROWS * select(1u, 2u, SWIGLU);
override S: u32 = XM * RW;

struct Params { n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> res: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> red: array<f32, WG * S>;

/** Σ over `parts` partial sums of slot s (stored at red[p·S + s]). */
fn total(s: u32, parts: u32) -> f32 {
  var t = 0.0;
  for (var p = 0u; p < parts; p++) { t += red[p * S + s]; }
  return t;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.n;
  let K8 = params.k / 8u;
  let n0 = (wid.y * nwg.x + wid.x) * ROWS;
  if (n0 >= N) { return; }

  var acc: array<f32, 16>;
  for (var k8 = lid; k8 < K8; k8 += WG) {
    var lo: array<vec4<f32>, 8>;
    var hi: array<vec4<f32>, 8>;
    for (var j = 0u; j < ROWS; j++) {
      let at = min(n0 + j, N - 1u) * K8 + k8; // rows past N (last workgroup) read row N−1 and are not written
      let wv = w[at];
      lo[j] = bitcast<vec4<f32>>(wv << vec4<u32>(16u));
      hi[j] = bitcast<vec4<f32>>(wv & vec4<u32>(0xffff0000u));
      if (SWIGLU) {
        let uv = wu[at];
        lo[ROWS + j] = bitcast<vec4<f32>>(uv << vec4<u32>(16u));
        hi[ROWS + j] = bitcast<vec4<f32>>(uv & vec4<u32>(0xffff0000u));
      }
    }
    for (var m = 0u; m < XM; m++) {
      let xa = x[(m * K8 + k8) * 2u];
      let xb = x[(m * K8 + k8) * 2u + 1u];
      let xe = vec4<f32>(xa.xz, xb.xz);
      let xo = vec4<f32>(xa.yw, xb.yw);
      for (var j = 0u; j < RW; j++) { acc[m * RW + j] += dot(lo[j], xe) + dot(hi[j], xo); }
    }
  }

  for (var s = 0u; s < S; s++) { red[lid * S + s] = acc[s]; }
  workgroupBarrier();
  let P = WG / S;
  var part = 0.0;
  if (lid < P * S) {
    for (var i = lid / S; i < WG; i += P) { part += red[i * S + lid % S]; }
  }
  workgroupBarrier(); // every read of the stored sums is done before the parts overwrite them
  if (lid < P * S) { red[lid] = part; }
  workgroupBarrier();

  if (lid < XM * ROWS) {
    let m = lid / ROWS;
    let j = lid % ROWS;
    let n = n0 + j;
    if (n < N) {
      let o = m * params.y_stride + params.y_col + n;
      var v = total(m * RW + j, P);
      if (SWIGLU) { v = v / (1.0 + exp(-v)) * total(m * RW + ROWS + j, P); }
      if (HAS_BIAS) { v += b[params.b_off + n]; }
      if (HAS_RESIDUAL) { v += res[o]; }
      y[o] = v;
    }
  }
}
