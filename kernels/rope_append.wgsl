// rope_append: RoPE on q and k plus the paged KV-cache append, one dispatch. For row t, pair i < half = Dh/2:
//   θ = f32(pos[t]) · inv_freq[i]   (rounded to f32, as HF's freqs = position.float() @ inv_freq)
//   q_out[t, h, i]        = q[t, h, i] · cos θ − q[t, h, i + half] · sin θ          (h < Hq)
//   q_out[t, h, i + half] = q[t, h, i + half] · cos θ + q[t, h, i] · sin θ
//   k_cache[slots[t], h, ·] = the same rotation of k[t, h, ·]                          (h < Hkv)
//   v_cache[slots[t], h, ·] = v[t, h, ·]
//   k_out[t, h, ·]          = the rotated k as well, when WRITE_K (prefill attends over the prompt's own keys)
// q, k, v are column windows of row-major matrices (element (t, c) of q is q[t·qStride + qOffset + c]), so they can
// come from separate projections or one fused qkv. Caches are viewed as [numBlocks·blockSize, Hkv·Dh]. cos/sin are
// rope.wgsl's (Cody–Waite reduction + Cephes polynomials), so the results are bit-identical to rope + kv_append.
// Threads: one thread per (t, head slot, i), i fastest; head slots 0..Hq−1 rotate q, Hq..Hq+Hkv−1 rotate k,
// Hq+Hkv..Hq+2·Hkv−1 copy v (elements i and i + half); linear index = (wid.y·nwg.x + wid.x)·WG + lid.
// Reference: runtime/reference/elementwise.ts rope + runtime/reference/attention.ts kvAppend. Upstream:
// apply_rotary_pos_emb (modeling_qwen2.py) + vLLM reshape_and_cache.
// Limits: rows·(Hq + 2·Hkv)·half ≤ 65535·65535·WG; positions as rope.wgsl (< 32768 for the exact reduction);
// slots < numBlocks·blockSize (not checked on the GPU). Without WRITE_K `k_out` is a dummy binding (its own tensor: aliasing q_out reads back zeros on lavapipe) never written.
override WG: u32 = 256;
override WRITE_K: bool = false;

struct Params {
  rows: u32, qHeads: u32, kvHeads: u32, half: u32, zero: u32,
  qOffset: u32, qStride: u32, kOffset: u32, kStride: u32, vOffset: u32, vStride: u32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
@group(0) @binding(4) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(5) var<storage, read> slots: array<u32>;
@group(0) @binding(6) var<storage, read_write> q_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> k_out: array<f32>;
@group(0) @binding(8) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(9) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(10) var<uniform> params: Params;

// (cos a, sin a) for a ≥ 0 or a < 0 alike; identical to rope.wgsl.
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
  let hp = params.half; // pairs per head (Dh/2)
  let slotsPerRow = params.qHeads + 2u * params.kvHeads;
  if (idx >= params.rows * slotsPerRow * hp) { return; }
  let i = idx % hp;
  let ts = idx / hp;
  let t = ts / slotsPerRow;
  let s = ts % slotsPerRow;
  let dh = 2u * hp;
  let kvRow = params.kvHeads * dh;
  if (s >= params.qHeads + params.kvHeads) {
    // v: copy elements i and i + half of kv head s − Hq − Hkv.
    let c = (s - params.qHeads - params.kvHeads) * dh + i;
    let src = t * params.vStride + params.vOffset + c;
    let dst = slots[t] * kvRow + c;
    v_cache[dst] = v[src];
    v_cache[dst + hp] = v[src + hp];
    return;
  }
  // HF rounds the angle to f32 before cos/sin. ORing its bits with params.zero (always 0, unknown to the compiler)
  // forces that rounding: otherwise p·inv_freq could be contracted into an fma with the reduction below.
  let angle = bitcast<f32>(bitcast<u32>(f32(pos[t]) * inv_freq[i]) | params.zero);
  let cs = cos_sin(angle);
  if (s < params.qHeads) {
    let c = s * dh + i;
    let src = t * params.qStride + params.qOffset + c;
    let x1 = q[src];
    let x2 = q[src + hp];
    let dst = t * params.qHeads * dh + c;
    q_out[dst] = x1 * cs.x - x2 * cs.y;
    q_out[dst + hp] = x2 * cs.x + x1 * cs.y;
    return;
  }
  let c = (s - params.qHeads) * dh + i;
  let src = t * params.kStride + params.kOffset + c;
  let x1 = k[src];
  let x2 = k[src + hp];
  let y1 = x1 * cs.x - x2 * cs.y;
  let y2 = x2 * cs.x + x1 * cs.y;
  let dst = slots[t] * kvRow + c;
  k_cache[dst] = y1;
  k_cache[dst + hp] = y2;
  if (WRITE_K) {
    k_out[t * kvRow + c] = y1;
    k_out[t * kvRow + c + hp] = y2;
  }
}
