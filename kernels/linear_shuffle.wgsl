// linear (GEMM), x shared through subgroups: y[m, y_col + n] = Σ_k x[m, k]·w[n, k] + b[b_off + n]   (row stride of y: y_stride)
// and, fused into the store (kernels/include/linear_epilogue.wgsl): GELU (ACT_GELU) or silu(gate)· (SILU_GATE), a layer scale ls[b_off + n]
// (HAS_SCALE), the residual res[m, y_col + n] (HAS_RESIDUAL).
// x f32 [M, K] read as vec4 (k..k+3); w bf16 [N, K] packed two per u32, read as vec2<u32> (4 bf16: k..k+3);
// b f32; y f32. QBITS 4 or 8: w is a q4/q8 weight (runtime/quant.ts; codes eight or four per u32, still read
// as vec2<u32>) with its f16 scales s [N_total, K/32] bound whole (s_row: this dispatch's first row), each weight
// q · f32(scale), exact in f32; QBITS 16: bf16, s a dummy.
// Threads: kernels/linear.wgsl's tiling (8×8 workgroup, RA×8 outputs per thread, no workgroup memory): thread
// (tx, ty) owns rows m0 + ty + 8·i (i < RA: 8, or 16 for many rows, where each gathered weight then serves twice the
// FMAs) and columns n0 + tx + 8·j (j < 8). The 8 threads of one ty need the same
// x values, and lavapipe turns every storage load with a computed offset into 8 per-lane scalar loads (loads
// were ~75 % of linear.wgsl's time), so each x value is loaded once per row of threads: per 4 k, thread tx loads
// the vec4 of row m0 + 8·tx (its row i = tx; with RA 16 also i = tx + 8) and thread (·, ty) gets row i from lane
// tx = i mod 8 by subgroupShuffle.
// The weights come 4 bf16 per load (vec2<u32>). Per 4 k a thread makes 8 weight loads, 1 x load, 8 shuffles
// and 256 FMAs (linear.wgsl: 16 weight and 32 x loads).
// Subgroup layout: where the 8 threads of a row sit in their subgroup, and the fallback when they do not:
// kernels/include/row_lanes.wgsl. WGSL's uniformity analysis only proves workgroup uniformity, hence
// `diagnostic(off, subgroup_uniformity)`.
// Tails: loads clamp to the last row/column, stores are guarded.
// Reference: runtime/reference/linear.ts linear. Upstream: torch.nn.Linear / F.linear.
// Limits: needs the `subgroups` feature; K % 4 == 0 (vec4/vec2 rows: the op runs kernels/linear.wgsl
// otherwise), K % 32 == 0 for q4/q8; grid [ceil(N / 64), ceil(M / (8·RA))] ≤ 65535 each. SHARE_X = false always loads x directly: the
// path of a non-matching subgroup layout, which lavapipe never takes on its own (the test forces it). RA: 8 or 16.
enable subgroups;
diagnostic(off, subgroup_uniformity);
// #include "row_lanes.wgsl"

override SHARE_X: bool = true;
override HAS_BIAS: bool = false;
override QBITS: u32 = 16u;
const WG: u32 = 8u; // threads per row of the workgroup = rows per thread (thread tx loads row i = tx)
const TN: u32 = 8u;
override RA: u32 = 8u; // rows per thread: 8, or 16 (lane tx then also loads row i = tx + 8 and hands it out)
const RA_MAX: u32 = 16u;

struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, s_row: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> s: array<u32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read> res: array<f32>;
@group(0) @binding(7) var<storage, read> ls: array<f32>;
@group(0) @binding(8) var<storage, read> gate: array<f32>;

// #include "linear_epilogue.wgsl"

var<private> acc: array<array<f32, TN>, RA_MAX>;
var<private> wrow: array<u32, TN>; // vec2 index of each column's weight row
var<private> srow: array<u32, TN>; // q4/q8: index of each column's first scale
var<private> scale: array<f32, TN>; // q4/q8: the current group's scale of each column
var<private> wp: array<vec2<u32>, TN>; // the current 8 bytes of each column's weights
var<private> wv: array<vec4<f32>, TN>; // the current 4 weights of each column

fn load_weights(kq: u32) {
  // one vec2 load per column holds 4 (bf16), 8 (q8) or 16 (q4) weights: steps of 4 k per load; kq runs 0, 1, 2, …
  let per_load = 16u / QBITS;
  if (kq % per_load == 0u) {
    for (var j = 0u; j < TN; j++) { wp[j] = w[wrow[j] + kq / per_load]; }
  }
  if (QBITS != 16u && (kq & 7u) == 0u) { // a group of 32 = 8 steps of 4
    for (var j = 0u; j < TN; j++) {
      let si = srow[j] + kq / 8u;
      let pair = unpack2x16float(s[si >> 1u]);
      scale[j] = select(pair.x, pair.y, (si & 1u) == 1u);
    }
  }
  for (var j = 0u; j < TN; j++) {
    let p = wp[j];
    if (QBITS == 4u) { // 4 codes: a half of word (kq / 2) % 2; the nibble n as the f32 2^23 + n, less 2^23 + 8
      let u = vec4<u32>(select(p.x, p.y, (kq & 2u) != 0u) >> (16u * (kq & 1u)));
      wv[j] = (bitcast<vec4<f32>>(((u >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u)) | vec4<u32>(0x4b000000u)) - 8388616.0) * scale[j];
    } else if (QBITS == 8u) { // 4 codes: word kq % 2
      let u = vec4<u32>(select(p.x, p.y, (kq & 1u) != 0u));
      wv[j] = vec4<f32>(bitcast<vec4<i32>>(u << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u)) * scale[j];
    } else {
      wv[j] = vec4<f32>(bitcast<f32>(p.x << 16u), bitcast<f32>(p.x & 0xffff0000u), bitcast<f32>(p.y << 16u), bitcast<f32>(p.y & 0xffff0000u));
    }
  }
}

fn accumulate(i: u32, xs: vec4<f32>) {
  for (var j = 0u; j < TN; j++) {
    acc[i][j] += xs.x * wv[j].x + xs.y * wv[j].y + xs.z * wv[j].z + xs.w * wv[j].w;
  }
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) lidx: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  let M = params.m;
  let N = params.n;
  let K4 = params.k / 4u;
  let n0 = wid.x * WG * TN + lid.x;
  let m0 = wid.y * WG * RA + lid.y;
  if (wid.x * WG * TN >= N || wid.y * WG * RA >= M) { return; }

  let lanes_of_row = row_lanes(lid.x, lidx, lane, lanes);
  let base = lanes_of_row.base;
  let sharing = lanes_of_row.sharing;

  for (var j = 0u; j < TN; j++) {
    let n = min(n0 + WG * j, N - 1u);
    wrow[j] = n * K4 * QBITS / 16u; // vec2s per row: K/4 (bf16), K/8 (q8), K/16 (q4)
    srow[j] = (params.s_row + n) * (params.k / 32u);
  }
  for (var i = 0u; i < RA; i++) { for (var j = 0u; j < TN; j++) { acc[i][j] = 0.0; } }

  let live_groups = live_row_groups(M, wid.y * WG * RA); // the last tile of rows skips its empty groups
  if (sharing) {
    let own = min(m0 + WG * lid.x, M - 1u) * K4;
    let own2 = min(m0 + WG * (lid.x + WG), M - 1u) * K4;
    for (var kq = 0u; kq < K4; kq++) {
      load_weights(kq);
      let xq = x[own + kq];
      for (var i = 0u; i < WG; i++) { if (i < live_groups) { accumulate(i, subgroupShuffle(xq, base + i)); } }
      if (RA > WG && live_groups > WG) {
        let xq2 = x[own2 + kq];
        for (var i = 0u; i < WG; i++) { if (i + WG < live_groups) { accumulate(i + WG, subgroupShuffle(xq2, base + i)); } }
      }
    }
  } else {
    var xrow: array<u32, RA_MAX>;
    for (var i = 0u; i < RA; i++) { xrow[i] = min(m0 + WG * i, M - 1u) * K4; }
    for (var kq = 0u; kq < K4; kq++) {
      load_weights(kq);
      for (var i = 0u; i < RA; i++) { if (i < live_groups) { accumulate(i, x[xrow[i] + kq]); } }
    }
  }

  for (var i = 0u; i < RA; i++) {
    let m = m0 + WG * i;
    if (m >= M) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + WG * j;
      if (n < N) {
        let o = m * params.y_stride + params.y_col + n;
        y[o] = epilogue(acc[i][j], n, o);
      }
    }
  }
}
