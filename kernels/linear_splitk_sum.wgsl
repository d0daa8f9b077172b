// linear split-K sum: y[m, y_col + n] = Σ_{s < S} p[(s·M + m)·N + n] (+ b[b_off + n])
// p f32 [S, M, N]: the per-chunk partials of linear_tiled.wgsl; b f32; y f32 with row stride y_stride; stored
// through kernels/include/linear_epilogue.wgsl (GELU or SiLU gate, layer scale, residual) as the unsplit GEMM would.
// Threads: one invocation per output, consecutive invocations on consecutive n (coalesced reads and
// writes); linear index = (wid.y·nwg.x + wid.x)·WG + lid, past M·N returns.
// Reference: runtime/reference/linear.ts linear (with linear_tiled.wgsl). Upstream: the split-K reduction
// of CUTLASS / cuBLAS GEMMs.
// Limits: M·N < 2^32; S ≥ 1.
override WG: u32 = 256;
override HAS_BIAS: bool = false;

struct Params { m: u32, n: u32, splits: u32, y_stride: u32, y_col: u32, b_off: u32 }

@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> res: array<f32>;
@group(0) @binding(5) var<storage, read> ls: array<f32>;
@group(0) @binding(6) var<storage, read> gate: array<f32>;

// #include "linear_epilogue.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let plane = params.m * params.n;
  if (i >= plane) { return; }
  let m = i / params.n;
  let n = i % params.n;
  var v = 0.0;
  for (var s = 0u; s < params.splits; s++) { v += p[s * plane + i]; }
  let o = m * params.y_stride + params.y_col + n;
  y[o] = epilogue(v, n, o);
}
