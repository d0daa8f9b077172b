// Float64 reference for nn.Linear. Shapes: x [M, K] row-major, w [N, K] (the checkpoint's [out, in] layout),
// optional b [N], optional residual r [M, N]; y [M, N] with y[m, n] = Σ_k x[m, k]·w[n, k] + b[n] + r[m, n].

/** y = x·Wᵀ + b (+ r) in float64. */
export function linear(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | undefined, M: number, N: number, K: number, r?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    const xo = m * K;
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += x[xo + k]! * w[wo + k]!;
      y[m * N + n] = s + (b ? b[n]! : 0) + (r ? r[m * N + n]! : 0);
    }
  }
  return y;
}
