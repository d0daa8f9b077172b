// rope_append: RoPE on q and k plus the paged KV-cache append, one dispatch. For row t, pair i < half = Dh/2:
//   θ = f32(pos[t]) · inv_freq[i]   (rounded to f32, as HF's freqs = position.float() @ inv_freq)
//   q_out[t, h, i]        = q[t, h, i] · cos θ − q[t, h, i + half] · sin θ          (h < Hq)
//   q_out[t, h, i + half] = q[t, h, i + half] · cos θ + q[t, h, i] · sin θ
//   k_cache[slots[t], h, ·] = the same rotation of k[t, h, ·]                          (h < Hkv)
//   v_cache[slots[t], h, ·] = v[t, h, ·]
//   kv_out[t, h, ·]         = the rotated k as the cache holds it, when WRITE_K (prefill attends over the prompt's
//                             own keys); with KV_F16 row t of kv_out is [k as stored, v as stored] (2·Hkv·Dh)
// The caches hold f32, or f16 with KV_F16 (kernels/include/kv_pool.wgsl; rounded to nearest even), so prefill
// attends to exactly the keys and values a later decode step reads back.
// q, k, v are column windows of row-major matrices (element (t, c) of q is q[t·qStride + qOffset + c]), so they can
// come from separate projections or one fused qkv. Caches are viewed as [numBlocks·blockSize, Hkv·Dh], bound as
// u32 words (f32 bits, or two f16). cos/sin are rope.wgsl's (Cody–Waite reduction + Cephes polynomials), so the
// results are bit-identical to rope + kv_append.
// Threads: one thread per (t, head slot, two adjacent pairs i, i + 1 — one f16 word), i fastest; head slots
// 0..Hq−1 rotate q, Hq..Hq+Hkv−1 rotate k, Hq+Hkv..Hq+2·Hkv−1 copy v (elements i, i + 1, i + half, i + half + 1);
// linear index = (wid.y·nwg.x + wid.x)·WG + lid.
// Reference: runtime/reference/elementwise.ts rope + runtime/reference/attention.ts kvAppend. Upstream:
// apply_rotary_pos_emb (modeling_qwen2.py) + vLLM reshape_and_cache.
// Limits: Dh % 4 == 0; rows·(Hq + 2·Hkv)·Dh/4 ≤ 65535·65535·WG; positions as rope.wgsl (< 32768 for the exact
// reduction); slots < numBlocks·blockSize (not checked on the GPU). Without WRITE_K `kv_out` is a dummy binding (its
// own tensor: aliasing q_out reads back zeros on lavapipe) never written. Ten storage bindings: WebGPU's default
// per-stage limit (hence k and v share kv_out).
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
@group(0) @binding(7) var<storage, read_write> kv_out: array<f32>;
@group(0) @binding(8) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(9) var<storage, read_write> v_cache: array<u32>;
@group(0) @binding(10) var<uniform> params: Params;

// #include "kv_pool.wgsl"

// Values e, e + 1 (e even) of a pool viewed as [slots, Hkv·Dh] (v_pool: v_cache, else k_cache): two f32 words, or
// one word of two f16.
fn store_pair(v_pool: bool, e: u32, x: vec2<f32>) {
  let words = select(bitcast<vec2<u32>>(x), vec2<u32>(pack2x16float(x), 0u), KV_F16);
  let at = select(e, e / 2u, KV_F16);
  for (var j = 0u; j < select(2u, 1u, KV_F16); j++) {
    if (v_pool) { v_cache[at + j] = words[j]; } else { k_cache[at + j] = words[j]; }
  }
}

// kv_out elements o, o + 1 (= a) and o + hp, o + hp + 1 (= b), as the pool holds them.
fn store_out(o: u32, hp: u32, a: vec2<f32>, b: vec2<f32>) {
  let ar = kv_round2(a, params.zero);
  let br = kv_round2(b, params.zero);
  kv_out[o] = ar.x;
  kv_out[o + 1u] = ar.y;
  kv_out[o + hp] = br.x;
  kv_out[o + hp + 1u] = br.y;
}

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
  let per = hp / 2u;    // threads per head
  let slotsPerRow = params.qHeads + 2u * params.kvHeads;
  if (idx >= params.rows * slotsPerRow * per) { return; }
  let i = 2u * (idx % per);
  let ts = idx / per;
  let t = ts / slotsPerRow;
  let s = ts % slotsPerRow;
  let dh = 2u * hp;
  let kvRow = params.kvHeads * dh;
  let outRow = select(kvRow, 2u * kvRow, KV_F16); // kv_out: k, then (f16) v
  if (s >= params.qHeads + params.kvHeads) {
    // v: copy elements i, i + 1 and i + half, i + half + 1 of kv head s − Hq − Hkv.
    let c = (s - params.qHeads - params.kvHeads) * dh + i;
    let src = t * params.vStride + params.vOffset + c;
    let a = vec2<f32>(v[src], v[src + 1u]);
    let b = vec2<f32>(v[src + hp], v[src + hp + 1u]);
    let dst = slots[t] * kvRow + c;
    store_pair(true, dst, a);
    store_pair(true, dst + hp, b);
    if (WRITE_K && KV_F16) { store_out(t * outRow + kvRow + c, hp, a, b); }
    return;
  }
  // HF rounds the angle to f32 before cos/sin. ORing its bits with params.zero (always 0, unknown to the compiler)
  // forces that rounding: otherwise p·inv_freq could be contracted into an fma with the reduction below.
  let p = f32(pos[t]);
  let cs0 = cos_sin(bitcast<f32>(bitcast<u32>(p * inv_freq[i]) | params.zero));
  let cs1 = cos_sin(bitcast<f32>(bitcast<u32>(p * inv_freq[i + 1u]) | params.zero));
  let cosv = vec2<f32>(cs0.x, cs1.x);
  let sinv = vec2<f32>(cs0.y, cs1.y);
  if (s < params.qHeads) {
    let c = s * dh + i;
    let src = t * params.qStride + params.qOffset + c;
    let x1 = vec2<f32>(q[src], q[src + 1u]);
    let x2 = vec2<f32>(q[src + hp], q[src + hp + 1u]);
    let y1 = x1 * cosv - x2 * sinv;
    let y2 = x2 * cosv + x1 * sinv;
    let dst = t * params.qHeads * dh + c;
    q_out[dst] = y1.x;
    q_out[dst + 1u] = y1.y;
    q_out[dst + hp] = y2.x;
    q_out[dst + hp + 1u] = y2.y;
    return;
  }
  let c = (s - params.qHeads) * dh + i;
  let src = t * params.kStride + params.kOffset + c;
  let x1 = vec2<f32>(k[src], k[src + 1u]);
  let x2 = vec2<f32>(k[src + hp], k[src + hp + 1u]);
  let y1 = x1 * cosv - x2 * sinv;
  let y2 = x2 * cosv + x1 * sinv;
  let dst = slots[t] * kvRow + c;
  store_pair(false, dst, y1);
  store_pair(false, dst + hp, y2);
  if (WRITE_K) { store_out(t * outRow + c, hp, y1, y2); }
}
