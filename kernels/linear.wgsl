// linear (GEMM): y[m, y_col + n] = Σ_k x[m, k]·w[n, k] + b[b_off + n]   (row stride of y: y_stride)
// x f32 [M, K]; w bf16 [N, K] packed two per u32 (element e = half e & 1 of word e >> 1); b f32; y f32.
// Threads: register-blocked, no workgroup memory (lavapipe loads storage one lane at a time, so the win
// is reuse in registers). A WG_X×WG_Y workgroup owns a (WG_Y·TM)×(WG_X·TN) tile of y; thread (tx, ty)
// owns rows m0 + ty + WG_Y·i (i < TM) and columns n0 + tx + WG_X·j (j < TN), interleaved so that a
// subgroup's stores are contiguous. Per packed k-pair a thread loads TN weight words and 2·TM x values
// and does 2·TM·TN FMAs. Tails: loads clamp to the last row/column, stores are guarded.
// PAIRED (K even): rows are u32-aligned and one word holds k and k+1. !PAIRED (K odd): per-element loads.
// Reference: runtime/reference/linear.ts linear. Upstream: torch.nn.Linear / F.linear.
// Limits: TM, TN ≤ 8; grid [ceil(N / (WG_X·TN)), ceil(M / (WG_Y·TM))] ≤ 65535 each; PAIRED needs K even.
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override TM: u32 = 8;
override TN: u32 = 8;
override PAIRED: bool = true;
override HAS_BIAS: bool = false;

struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn bf16_at(e: u32) -> f32 {
  let word = w[e >> 1u];
  return bitcast<f32>(select(word << 16u, word & 0xffff0000u, (e & 1u) == 1u));
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.m;
  let N = params.n;
  let K = params.k;
  let n0 = wid.x * WG_X * TN + lid.x;
  let m0 = wid.y * WG_Y * TM + lid.y;
  if (wid.x * WG_X * TN >= N || wid.y * WG_Y * TM >= M) { return; }

  var acc: array<array<f32, 8>, 8>;
  var wrow: array<u32, 8>;
  var xrow: array<u32, 8>;
  for (var j = 0u; j < TN; j++) { wrow[j] = min(n0 + WG_X * j, N - 1u) * select(K, K / 2u, PAIRED); }
  for (var i = 0u; i < TM; i++) { xrow[i] = min(m0 + WG_Y * i, M - 1u) * K; }
  for (var i = 0u; i < TM; i++) { for (var j = 0u; j < TN; j++) { acc[i][j] = 0.0; } }

  if (PAIRED) {
    for (var kk = 0u; kk < K / 2u; kk++) {
      var lo: array<f32, 8>;
      var hi: array<f32, 8>;
      for (var j = 0u; j < TN; j++) {
        let word = w[wrow[j] + kk];
        lo[j] = bitcast<f32>(word << 16u);
        hi[j] = bitcast<f32>(word & 0xffff0000u);
      }
      for (var i = 0u; i < TM; i++) {
        let x0 = x[xrow[i] + 2u * kk];
        let x1 = x[xrow[i] + 2u * kk + 1u];
        for (var j = 0u; j < TN; j++) { acc[i][j] += x0 * lo[j] + x1 * hi[j]; }
      }
    }
  } else {
    for (var k = 0u; k < K; k++) {
      var wv: array<f32, 8>;
      for (var j = 0u; j < TN; j++) { wv[j] = bf16_at(wrow[j] + k); }
      for (var i = 0u; i < TM; i++) {
        let xv = x[xrow[i] + k];
        for (var j = 0u; j < TN; j++) { acc[i][j] += xv * wv[j]; }
      }
    }
  }

  for (var i = 0u; i < TM; i++) {
    let m = m0 + WG_Y * i;
    if (m >= M) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + WG_X * j;
      if (n < N) {
        var v = acc[i][j];
        if (HAS_BIAS) { v += b[params.b_off + n]; }
        y[m * params.y_stride + params.y_col + n] = v;
      }
    }
  }
}
