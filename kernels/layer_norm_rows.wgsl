// layer_norm_rows: kernels/layer_norm.wgsl's math (two-pass mean and biased variance, then
// y[r, c] = (x[r, c] − μ[r]) · inverseSqrt(σ²[r] + eps) · w[c] + b[c]) with one row per workgroup of 8 threads that
// sum by subgroupAdd: no workgroup memory and no barriers, which a CPU rasteriser runs as a switch between
// coroutines per barrier and per 8 lanes (kernels/layer_norm.wgsl: 256 threads, 2·8 + 1 barriers a row).
// Threads: thread t takes columns t, t + 8, …; both sums are reduced across the 8 by subgroupAdd. That needs the
// workgroup in one subgroup (subgroup size ≥ 8 and the implementation not splitting 8 invocations): checked at
// run time by subgroupAdd(1) == 8; where it fails (or WHOLE_ROW_SUMS = false, which the test forces) every thread
// sums the whole row itself (8× the loads, the same result). The choice is subgroup-uniform, which is all
// subgroupAdd needs; WGSL's analysis only proves workgroup uniformity, hence `diagnostic(off, subgroup_uniformity)`.
// Reference: runtime/reference/norms.ts layerNorm. Upstream: nn.LayerNorm (InternViT norm1/norm2, mlp1[0]).
// Limits: needs the `subgroups` feature; rows ≤ 65535·65535 (grid folded by the runtime); any cols ≥ 1.
enable subgroups;
diagnostic(off, subgroup_uniformity);

const WG: u32 = 8u;
override WHOLE_ROW_SUMS: bool = true;

// #include "layer_norm_io.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; } // workgroup-uniform
  let cols = params.cols;
  let base = row * cols;
  let n = f32(cols);
  let whole = WHOLE_ROW_SUMS && subgroupAdd(1u) == WG;
  let first = select(0u, lid, whole);
  let step = select(1u, WG, whole);

  // Σ (x − x[0]): sums of 128 or 1024 values in sequence, not a tree, so shifted by the row's first value to keep a
  // large common offset (x = 300 ± 2) from costing the mean its low bits (the "shifted data" algorithm).
  let pivot = x[base];
  var sum = 0.0;
  for (var c = first; c < cols; c += step) { sum += x[base + c] - pivot; }
  if (whole) { sum = subgroupAdd(sum); }
  let mean = pivot + sum / n;

  var ss = 0.0;
  for (var c = first; c < cols; c += step) {
    let d = x[base + c] - mean;
    ss += d * d;
  }
  if (whole) { ss = subgroupAdd(ss); }
  let scale = inverseSqrt(ss / n + params.eps);

  for (var c = lid; c < cols; c += WG) {
    y[base + c] = (x[base + c] - mean) * scale * w[c] + b[c];
  }
}
