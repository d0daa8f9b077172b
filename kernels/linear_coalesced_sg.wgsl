enable subgroups;
// linear_coalesced_sg (decode GEMV for GPUs, subgroup reduction): kernels/linear_coalesced.wgsl with the reduction
// across the workgroup done by subgroupAdd — the same math, bindings, Params and overrides.
//   y[m, y_col + n] = Σ_k x[m, k]·w[n, k] (+ b[b_off + n]) (+ res[m, y_col + n])         m < XM ≤ 8
//   SWIGLU: y[m, y_col + n] = silu(Σ_k x[m, k]·w[n, k]) · Σ_k x[m, k]·wu[n, k]         (Qwen2MLP gate/up)
//   NORM, an RMSNorm prologue (Qwen2RMSNorm before q/k/v, gate/up, lm_head): x[m, k] is first replaced by
//   x[m, k]·s[m]·norm_w[k], s[m] = rsqrt(Σ_k x[m, k]²/K + eps); every sum above becomes
//   s[m]·Σ_k x[m, k]·norm_w[k]·(w or wu)[n, k]
// Threads: as kernels/linear_coalesced.wgsl — a workgroup of WG invocations owns ROWS rows, invocation t reads the
// 16-byte words k8 = t, t+WG, … of each row (coalesced) and keeps S = XM·RW partial sums, with NORM XM more (its
// parts of Σx², from the x in registers): ST sums. Then each subgroup adds them with subgroupAdd (no barrier), its
// first invocation stores the ST sums at red[sg·ST + s], and after one barrier invocation o < XM·ROWS adds the
// subgroups' sums of its output (and of its row's Σx²) and applies the epilogue. Correct for any
// subgroup size 4..128 (read from the subgroup_size builtin); the subgroup index is lid / subgroup_size, i.e. it
// takes subgroups to be consecutive ranges of local_invocation_index, as the Vulkan, Metal and D3D12 drivers lay
// out a 1-D workgroup (WGSL does not promise it; the `subgroup_id` builtin would, but needs a newer language
// feature than the `subgroups` extension this file requires).
// Reference: runtime/reference/linear.ts linear (with the residual res), runtime/reference/elementwise.ts siluMul,
// NORM: runtime/reference/norms.ts rmsNorm first. Upstream: torch.nn.Linear / F.linear (+ the decoder layer's
// residual add); Qwen2MLP act_fn(gate_proj(x)) * up_proj(x); Qwen2RMSNorm.
// Limits: the device feature `subgroups` (kernels/linear_coalesced_sg.ts requires it); K % 8 == 0; ROWS ≤ 4;
// S ≤ 16; ST ≤ 24; (WG/4)·ST·4 bytes of workgroup memory (6 KiB at most); SWIGLU is used without HAS_BIAS and
// HAS_RESIDUAL; wu, b, res, norm_w are dummies (any bound tensor) when unused; N ≤ 65535²·ROWS (the runtime folds
// the grid).
// #include "coalesced_gemv.wgsl"

var<workgroup> red: array<f32, (WG / 4u) * ST>; // one row of ST sums per subgroup (≥ 4 invocations each)

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sgi: u32, @builtin(subgroup_size) sgs: u32) {
  let N = params.n;
  let n0 = (wid.y * nwg.x + wid.x) * ROWS;
  if (n0 >= N) { return; }

  partial_sums(n0, lid);

  let sg = lid / sgs;
  for (var s = 0u; s < S; s++) {
    let v = subgroupAdd(acc[s]);
    if (sgi == 0u) { red[sg * ST + s] = v; }
  }
  if (NORM) {
    for (var m = 0u; m < XM; m++) {
      let v = subgroupAdd(ss[m]);
      if (sgi == 0u) { red[sg * ST + S + m] = v; }
    }
  }
  workgroupBarrier();
  let P = (WG + sgs - 1u) / sgs; // subgroups in the workgroup

  write_outputs(n0, lid, P);
}
