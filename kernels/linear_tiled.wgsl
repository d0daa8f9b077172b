// linear (tiled GEMM for GPUs): y[z·M + m, y_col + n] = Σ_{k in chunk z} x[m, k]·w[n, k] (+ b[b_off + n])
// x f32 [M, K]; w bf16 [N, K] packed two per u32 (element e = half e & 1 of word e >> 1); b f32; y f32 with
// row stride y_stride. z = workgroup_id.z is the split-K chunk [z·k_chunk, min(K, (z+1)·k_chunk)); with one
// chunk (k_chunk ≥ K) this is y = x·Wᵀ + b, with several y is a partial buffer [S, M, y_stride] that
// linear_splitk_sum.wgsl adds up (bias there, so HAS_BIAS is off here). One chunk stores through
// kernels/include/linear_epilogue.wgsl (GELU or SiLU gate, layer scale, residual: the sum kernel applies them when split).
// Threads: a workgroup of (BN/TN)·(BM/TM) invocations owns a BM×BN tile of y. Per BK step it loads the
// x tile [BM][BK] and the w tile [BK][BNP] (transposed, unpacked to f32) into workgroup memory with
// consecutive invocations reading consecutive words of a row (coalesced), then thread (tx, ty) accumulates
// rows ty + WG_Y·i (i < TM) × columns tx + WG_X·j (j < TN) from registers: per k, TM + TN shared loads for
// TM·TN FMAs. Columns interleave so a warp's w reads are consecutive (no bank conflicts) and its x reads
// are broadcasts; BNP = BN + 32/BK pads the w tile so the transposed stores of one warp hit 32 banks.
// No double buffering: the tiles take ≤ 8.3 KiB, so several workgroups share a compute unit and hide each
// other's loads. Tails: loads past M, N or the chunk's end store 0, stores are guarded.
// PAIRED (K even): a word holds k and k+1 of one row. !PAIRED (K odd: pairs straddle rows): per element.
// QBITS 4 or 8: w is a q4/q8 weight (runtime/quant.ts: codes eight or four per u32) with its f16 scales s
// [N_total, K/32] bound whole (s_row: this chunk's first row), each weight q · f32(scale), exact in f32, staged
// per element; QBITS 16: bf16, s a dummy.
// Reference: runtime/reference/linear.ts linear. Upstream: torch.nn.Linear / F.linear.
// Limits: TM, TN ≤ 8; BK 16 or 32 (even, divides 32 for the padding); k_chunk a multiple of BK when S > 1;
// grid [ceil(N / BN), ceil(M / BM), S] ≤ 65535 each; workgroup memory 4·(BM·BK + BK·BNP) bytes ≤ 16 KiB.
override BM: u32 = 64;
override BN: u32 = 64;
override BK: u32 = 16;
override TM: u32 = 4;
override TN: u32 = 4;
override PAIRED: bool = true;
override HAS_BIAS: bool = false;
override QBITS: u32 = 16u;
override WG_X: u32 = BN / TN;
override WG_Y: u32 = BM / TM;
override BNP: u32 = BN + 32u / BK;

struct Params { m: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, k_chunk: u32, s_row: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> s: array<u32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read> res: array<f32>;
@group(0) @binding(7) var<storage, read> ls: array<f32>;
@group(0) @binding(8) var<storage, read> gate: array<f32>;

// #include "linear_epilogue.wgsl"

var<workgroup> xs: array<f32, BM * BK>;
var<workgroup> ws: array<f32, BK * BNP>;

fn bf16_at(e: u32) -> f32 {
  let word = w[e >> 1u];
  return bitcast<f32>(select(word << 16u, word & 0xffff0000u, (e & 1u) == 1u));
}

/** Weight (n, k) of a q4/q8 chunk: its code times its group's scale. */
fn quantized_at(n: u32, k: u32) -> f32 {
  let e = n * params.k + k;
  var code: f32;
  if (QBITS == 4u) {
    code = f32((w[e >> 3u] >> (4u * (e & 7u))) & 15u) - 8.0;
  } else {
    code = f32(bitcast<i32>(w[e >> 2u] << (24u - 8u * (e & 3u))) >> 24u);
  }
  let si = (params.s_row + n) * (params.k / 32u) + k / 32u;
  let pair = unpack2x16float(s[si >> 1u]);
  return code * select(pair.x, pair.y, (si & 1u) == 1u);
}

// x[m0.., kt..] → xs[r·BK + c]; zero outside the matrix and the chunk.
fn load_x(li: u32, m0: u32, kt: u32, k1: u32) {
  for (var e = li; e < BM * BK; e += WG_X * WG_Y) {
    let m = m0 + e / BK;
    let k = kt + e % BK;
    var v = 0.0;
    if (m < params.m && k < k1) { v = x[m * params.k + k]; }
    xs[e] = v;
  }
}

// w[n0.., kt..] → ws[c·BNP + r] as f32; zero outside the matrix and the chunk.
fn load_w(li: u32, n0: u32, kt: u32, k1: u32) {
  let K = params.k;
  if (QBITS != 16u) {
    for (var e = li; e < BN * BK; e += WG_X * WG_Y) {
      let r = e / BK;
      let c = e % BK;
      let n = n0 + r;
      var v = 0.0;
      if (n < params.n && kt + c < k1) { v = quantized_at(n, kt + c); }
      ws[c * BNP + r] = v;
    }
  } else if (PAIRED) {
    // kt and k1 are even, so a word is either wholly inside the chunk or wholly past it.
    for (var e = li; e < BN * BK / 2u; e += WG_X * WG_Y) {
      let r = e / (BK / 2u);
      let c = 2u * (e % (BK / 2u));
      let n = n0 + r;
      var word = 0u;
      if (n < params.n && kt + c < k1) { word = w[(n * K + kt + c) >> 1u]; }
      ws[c * BNP + r] = bitcast<f32>(word << 16u);
      ws[(c + 1u) * BNP + r] = bitcast<f32>(word & 0xffff0000u);
    }
  } else {
    for (var e = li; e < BN * BK; e += WG_X * WG_Y) {
      let r = e / BK;
      let c = e % BK;
      let n = n0 + r;
      var v = 0.0;
      if (n < params.n && kt + c < k1) { v = bf16_at(n * K + kt + c); }
      ws[c * BNP + r] = v;
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = params.m;
  let N = params.n;
  let n0 = wid.x * BN;
  let m0 = wid.y * BM;
  if (n0 >= N || m0 >= M) { return; } // uniform per workgroup: no barrier is skipped by part of it
  let k0 = wid.z * params.k_chunk;
  let k1 = min(params.k, k0 + params.k_chunk);

  var acc: array<array<f32, 8>, 8>;
  for (var i = 0u; i < TM; i++) { for (var j = 0u; j < TN; j++) { acc[i][j] = 0.0; } }

  for (var kt = k0; kt < k1; kt += BK) {
    load_x(li, m0, kt, k1);
    load_w(li, n0, kt, k1);
    workgroupBarrier();
    for (var c = 0u; c < BK; c++) {
      var xv: array<f32, 8>;
      var wv: array<f32, 8>;
      for (var i = 0u; i < TM; i++) { xv[i] = xs[(lid.y + WG_Y * i) * BK + c]; }
      for (var j = 0u; j < TN; j++) { wv[j] = ws[c * BNP + lid.x + WG_X * j]; }
      for (var i = 0u; i < TM; i++) { for (var j = 0u; j < TN; j++) { acc[i][j] = fma(xv[i], wv[j], acc[i][j]); } }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y + WG_Y * i;
    if (m >= M) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x + WG_X * j;
      if (n < N) {
        let o = (wid.z * M + m) * params.y_stride + params.y_col + n;
        y[o] = epilogue(acc[i][j], n, o);
      }
    }
  }
}
