// linear_vec_q (decode GEMV, quantized weights): y[m_off + m, y_col + n] = Σ_k x[m, k]·W[n, k] + b[b_off + n]
// (+ res[m_off + m, y_col + n]), m < XM ≤ 8, W[n, k] = code · scale of a q4 or q8 weight (QBITS). NORM: x is
// rmsNorm(x)·norm_w (Qwen2RMSNorm before q/k/v, gate/up and lm_head), the scale applied at the store. SWIGLU:
// y = silu(x·Wᵀ)·(x·Wuᵀ) (Qwen2MLP's gate and up). Every invocation loads x itself; linear_vec_q_shuffle.wgsl is
// the same with x loaded once per subgroup. Body, formats and thread mapping: kernels/include/gemv_q.wgsl.
// Reference: runtime/reference/linear.ts linear on runtime/quant.ts dequantize (NORM: ∘ rmsNorm; SWIGLU: siluMul).
// Limits: K % 32 == 0; XM ≤ 8; R ≤ 8; b, res, norm_w, wu, su are dummies (any bound tensor) when unused.
// #include "gemv_x.wgsl"
// #include "gemv_q.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  if (!begin(wid, nwg, lid)) { return; }
  walk_groups_direct(params.k / 8u);
  finish();
}
