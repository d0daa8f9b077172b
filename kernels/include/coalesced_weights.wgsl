// Included by the coalesced GEMV twins (linear_coalesced, linear_coalesced_sg) after quant_codes.wgsl: one word of
// 8 weights of a row, whatever the weight format (QBITS), for the invocation that reads it.
/**
 * Word k8 (8 k) of row `row` of w (or, `up`, of wu) as f32, even k and odd k: bf16 unpacked (one vec4<u32>), or
 * q4/q8 codes (one or two u32) times their group's scale.
 */
fn row_weights(row: u32, k8: u32, K8: u32, up: bool) -> Codes8 {
  if (QBITS != 16u) {
    let at = (row * K8 + k8) * (QBITS / 4u);
    let si = (params.s_row + row) * (params.k / 32u) + k8 / 4u;
    if (up) { return scaled_codes(wu[at / 4u], at, scales_up[si >> 1u], si); }
    return scaled_codes(w[at / 4u], at, scales[si >> 1u], si);
  }
  var wv: vec4<u32>;
  if (up) { wv = wu[row * K8 + k8]; } else { wv = w[row * K8 + k8]; }
  return Codes8(bitcast<vec4<f32>>(wv << vec4<u32>(16u)), bitcast<vec4<f32>>(wv & vec4<u32>(0xffff0000u)));
}
