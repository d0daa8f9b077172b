// rope: half-split (rotate_half / NeoX) rotary embedding, per row t, head h, pair i < half = Dh/2:
//   θ = f32(pos[t]) · inv_freq[i]   (rounded to f32, as HF's freqs = position.float() @ inv_freq)
//   y[t, h, i]        = x[t, h, i] · cos θ − x[t, h, i + half] · sin θ
//   y[t, h, i + half] = x[t, h, i + half] · cos θ + x[t, h, i] · sin θ
// cos/sin: Cody–Waite reduction by π/2 in three f32 parts (the first two have 9 significant bits, so k·part is
// exact for k < 2^15, i.e. angles up to ~51000 rad) followed by Cephes' sinf/cosf minimax polynomials on
// [−π/4, π/4]; a few ulp everywhere, independent of the driver's sin/cos (which WGSL only bounds on [−π, π]).
// Threads: one thread per (t, h, i) pair, i fastest; the linear index folds the grid's y into x.
// Reference: runtime/reference/elementwise.ts rope (and ropeInvFreq for inv_freq). Upstream: Qwen2RotaryEmbedding
// + apply_rotary_pos_emb / rotate_half (modeling_qwen2.py), rope_theta 1e6, no scaling.
// Limits: rows·heads·half ≤ 65535·65535·WG; positions < 2^15·π/2 / max inv_freq (= 32768 for inv_freq[0] = 1)
// for the exact reduction (max_position_embeddings is 32768). cos/sin are kept in f32 (HF casts them to the model
// dtype; activations here are f32).
override WG: u32 = 256;

struct Params { rows: u32, heads: u32, half: u32, zero: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> pos: array<u32>;
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// (cos a, sin a) for a ≥ 0 or a < 0 alike.
fn cos_sin(a: f32) -> vec2<f32> {
  let k = round(a * 0.63661977236758134);   // nearest multiple of π/2
  var r = a - k * 1.5703125;                 // exact: 9-bit part
  r = r - k * 4.8351287841796875e-4;         // exact: 9-bit part
  r = r - k * 3.1391647326017846e-7;         // rounded, tiny
  let z = r * r;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  switch (u32(i32(k)) & 3u) {
    case 0u: { return vec2<f32>(c, s); }
    case 1u: { return vec2<f32>(-s, c); }
    case 2u: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.y * nwg.x + wid.x) * WG + lid;
  if (idx >= params.rows * params.heads * params.half) { return; }
  let i = idx % params.half;
  let th = idx / params.half; // t · heads + h
  let t = th / params.heads;
  // HF rounds the angle to f32 before cos/sin. ORing its bits with params.zero (always 0, unknown to the compiler)
  // forces that rounding: otherwise p·inv_freq could be contracted into an fma with the reduction below.
  let angle = bitcast<f32>(bitcast<u32>(f32(pos[t]) * inv_freq[i]) | params.zero);
  let cs = cos_sin(angle);
  let base = th * 2u * params.half;
  let x1 = x[base + i];
  let x2 = x[base + i + params.half];
  y[base + i] = x1 * cs.x - x2 * cs.y;
  y[base + i + params.half] = x2 * cs.x + x1 * cs.y;
}
