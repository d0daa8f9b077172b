// Included by the kernels that read q4/q8 weights eight k at a time (linear_vec_q{,_shuffle} through gemv_q.wgsl,
// linear_coalesced{,_sg}): the codes of one step regrouped like x (even k, odd k) and the f16 scales. Formats
// (runtime/quant.ts): q4 — word j of a row holds codes 8j … 8j+7, code 8j+i in bits 4i … 4i+3 as q + 8; q8 — word
// j holds codes 4j … 4j+3, code 4j+i in byte i as int8; scales f16 [N, K/32], two per u32. The including kernel
// declares the override QBITS (4 or 8).
/** Eight codes as f32: e = k, k+2, k+4, k+6 and o = k+1, k+3, k+5, k+7. */
struct Codes8 { e: vec4<f32>, o: vec4<f32> }

/**
 * The 8 codes of one word (q4; u1 unused) or word pair (q8), in units of code_unit(): q4 codes come as q · 2^28.
 * The nibble n = q + 8 is q's 4-bit two's complement with its top bit flipped, so one XOR of the word makes all eight
 * two's complement; each is then shifted to the top of an i32 and the rest masked off — q · 2^28, converted exactly
 * by the one-instruction signed conversion: three ops a code (the per-lane integer ops are what lavapipe pays for).
 */
fn codes(u0: u32, u1: u32) -> Codes8 {
  if (QBITS == 4u) {
    let v = vec4<u32>(u0 ^ 0x88888888u);
    let top = vec4<u32>(0xf0000000u);
    return Codes8(vec4<f32>(bitcast<vec4<i32>>((v << vec4<u32>(28u, 20u, 12u, 4u)) & top)),
                  vec4<f32>(bitcast<vec4<i32>>((v << vec4<u32>(24u, 16u, 8u, 0u)) & top)));
  }
  let v = vec4<u32>(u0, u0, u1, u1);
  return Codes8(vec4<f32>(bitcast<vec4<i32>>(v << vec4<u32>(24u, 8u, 24u, 8u)) >> vec4<u32>(24u)),
                vec4<f32>(bitcast<vec4<i32>>(v << vec4<u32>(16u, 0u, 16u, 0u)) >> vec4<u32>(24u)));
}

/** What a code from codes() is worth: 2^-28 for q4, 1 for q8 (folded into the scale; exact, a power of two). */
fn code_unit() -> f32 {
  return select(1.0, 1.0 / 268435456.0, QBITS == 4u);
}

/** Scale i of a row-major f16 array, from the u32 `word` that holds it (index i >> 1). */
fn half_of(word: u32, i: u32) -> f32 {
  let p = unpack2x16float(word);
  return select(p.x, p.y, (i & 1u) == 1u);
}

/**
 * The 8 weights at u32 index `at` of codes bound as vec4s (q8: `at` even, its pair in the same vec4), times their
 * group's scale, scale i read from the u32 `scale_word` that holds it.
 */
fn scaled_codes(q: vec4<u32>, at: u32, scale_word: u32, i: u32) -> Codes8 {
  let c = codes(q[at % 4u], q[(at + 1u) % 4u]);
  let sc = half_of(scale_word, i) * code_unit();
  return Codes8(c.e * sc, c.o * sc);
}
