// The store of the GEMMs that fuse what follows a linear layer (runtime/ops/linear.ts LinearOptions): with b the
// bias, ls a per-column layer scale, res the residual stream and gate a gate's pre-activation (both shaped like y),
//   y = res + ls ⊙ act(x·Wᵀ + b),   act(v) = GELU(v) (ACT_GELU) or silu(gate) · v (SILU_GATE) or v
// GELU for InternViT's fc1 and the projector's first linear; SILU_GATE for the up projection of a SwiGLU MLP in
// prefill (gate holds gate_proj's output; silu(g) = g / (1 + exp(−g)), as kernels/silu_mul.wgsl); ls when
// HAS_SCALE (InternViT's ls1/ls2) and res when HAS_RESIDUAL (the attention and MLP outputs of every layer). Each
// removes a pass over y (a dispatch that reads and writes M·N floats). The including kernel declares HAS_BIAS, b
// and params.b_off (the bias index of column 0, also the layer scale's), and binds res, ls and gate (dummies when
// unused).
// #include "gelu_erf.wgsl"

override ACT_GELU: bool = false;
override SILU_GATE: bool = false;
override HAS_SCALE: bool = false;
override HAS_RESIDUAL: bool = false;

/** The value stored at y[o] for the accumulated dot product `dot` of column n (0-based in this dispatch). */
fn epilogue(dot: f32, n: u32, o: u32) -> f32 {
  var v = dot;
  if (HAS_BIAS) { v += b[params.b_off + n]; }
  if (ACT_GELU) { v = gelu_erf(v); }
  if (SILU_GATE) {
    let g = gate[o];
    v = g / (1.0 + exp(-g)) * v;
  }
  if (HAS_SCALE) { v *= ls[params.b_off + n]; }
  if (HAS_RESIDUAL) { v += res[o]; }
  return v;
}
