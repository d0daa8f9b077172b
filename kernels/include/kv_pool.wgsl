// Included by the kernels that read or write the paged KV pools (kv_append, rope_append, attention_decode,
// attention_decode_coop): how a pool holds its values (runtime/ops/kv_cache.ts). KV_F16 = false: f32; true: f16,
// two per u32 (pack2x16float: element 2i in the low half, rounded to nearest even). The vector kernels bind the
// pools as array<vec4<u32>>: a word holds one "column" of 4 values (f32) or two (f16: columns 2w and 2w + 1), so
// an f16 row is half the loads. Attention reads every key and value as the pool holds it — the new token's too,
// which the fused kernels take from registers — so an f16 cache gives the same results however a prompt was split.
override KV_F16: bool = false;

/** Columns (vec4s of values) per pool word: 1 (f32) or 2 (f16). */
fn kv_per_word() -> u32 {
  return select(1u, 2u, KV_F16);
}

/** Column e of pool word w (e < kv_per_word()) as f32. */
fn kv_unpack(w: vec4<u32>, e: u32) -> vec4<f32> {
  if (KV_F16) {
    let h = select(w.xy, w.zw, e == 1u);
    return vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y));
  }
  return bitcast<vec4<f32>>(w);
}

/** The pool word holding column a (f32), or columns a and b (f16). */
fn kv_pack(a: vec4<f32>, b: vec4<f32>) -> vec4<u32> {
  if (KV_F16) {
    return vec4<u32>(pack2x16float(a.xy), pack2x16float(a.zw), pack2x16float(b.xy), pack2x16float(b.zw));
  }
  return bitcast<vec4<u32>>(a);
}

/**
 * Two values as the pool holds them: rounded to f16 for an f16 pool, unchanged for f32. `zero` is params.zero
 * (always 0, unknown to the compiler): lavapipe (Mesa 25.0) folds unpack2x16float(pack2x16float(x)) back to x,
 * dropping the rounding, unless the packed bits pass through it.
 */
fn kv_round2(x: vec2<f32>, zero: u32) -> vec2<f32> {
  if (KV_F16) { return unpack2x16float(pack2x16float(x) | zero); }
  return x;
}

/** A column as the pool holds it (`zero` as for kv_round2). */
fn kv_round(x: vec4<f32>, zero: u32) -> vec4<f32> {
  return vec4<f32>(kv_round2(x.xy, zero), kv_round2(x.zw, zero));
}
