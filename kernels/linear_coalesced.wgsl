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
// #include "coalesced_gemv.wgsl"

var<workgroup> red: array<f32, WG * ST>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let N = params.n;
  let n0 = (wid.y * nwg.x + wid.x) * ROWS;
  if (n0 >= N) { return; }

  partial_sums(n0, lid);

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

  write_outputs(n0, lid, P);
}
