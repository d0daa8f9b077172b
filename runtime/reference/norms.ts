// Float64 references for the normalisations. Shapes: x [rows, cols] row-major, w/b [cols].

/** Qwen2RMSNorm: x · rsqrt(mean(x²) + eps) · w. */
export function rmsNorm(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, cols: number, eps: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[r * cols + c]! ** 2;
    const scale = 1 / Math.sqrt(ss / cols + eps);
    for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c]! * scale * w[c]!;
  }
  return y;
}

/** nn.LayerNorm: (x − mean) / sqrt(biased var + eps) · w + b (InternViT norm1/norm2 eps 1e-6, mlp1.0 eps 1e-5). */
export function layerNorm(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, eps: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += x[r * cols + c]!;
    const mean = sum / cols;
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += (x[r * cols + c]! - mean) ** 2;
    const scale = 1 / Math.sqrt(ss / cols + eps);
    for (let c = 0; c < cols; c++) y[r * cols + c] = (x[r * cols + c]! - mean) * scale * w[c]! + b[c]!;
  }
  return y;
}
