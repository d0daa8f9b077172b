// Included by the kernels that read q4/q8 weights eight k at a time (linear_vec_q{,_shuffle} through gemv_q.wgsl,
// linear_coalesced{,_sg}): the codes of one step regrouped like x (even k, odd k) and the f16 scales. Formats
// (runtime/quant.ts): q4 — word j of a row holds codes 8j … 8j+7, code 8j+i in bits 4i … 4i+3 as q + 8; q8 — word
// j holds codes 4j … 4j+3, code 4j+i in byte i as int8; scales f16 [N, K/32], two per u32. The including kernel
// declares the override QBITS (4 or 8).
/** Eight codes as f32: e = k, k+2, k+4, k+6 and o = k+1, k+3, k+5, k+7. */
struct Codes8 { e: vec4<f32>, o: vec4<f32> }

/** The 8 codes of one word (q4; u1 unused) or word pair (q8). */
fn codes(u0: u32, u1: u32) -> Codes8 {
  if (QBITS == 4u) {
    // nibble n as the f32 2^23 + n (its bits OR'ed into 2^23's mantissa), minus 2^23 + 8: n − 8 exactly, in two
    // integer ops and one subtraction (an unsigned-to-float conversion costs several instructions on AVX2)
    let v = vec4<u32>(u0);
    let magic = vec4<u32>(0x4b000000u);
    return Codes8(bitcast<vec4<f32>>(((v >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(15u)) | magic) - 8388616.0,
                  bitcast<vec4<f32>>(((v >> vec4<u32>(4u, 12u, 20u, 28u)) & vec4<u32>(15u)) | magic) - 8388616.0);
  }
  let v = vec4<u32>(u0, u0, u1, u1);
  return Codes8(vec4<f32>(bitcast<vec4<i32>>(v << vec4<u32>(24u, 8u, 24u, 8u)) >> vec4<u32>(24u)),
                vec4<f32>(bitcast<vec4<i32>>(v << vec4<u32>(16u, 0u, 16u, 0u)) >> vec4<u32>(24u)));
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
  let sc = half_of(scale_word, i);
  return Codes8(c.e * sc, c.o * sc);
}
