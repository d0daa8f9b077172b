// Float64 references for elementwise ops: activations, residual adds, rotary embedding.
// Shapes are flat row-major arrays; each function's comment gives its layout.

/** erfc(x) in float64: Maclaurin series for |x| < 2.5, Lentz continued fraction beyond (≈1e-15 relative). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) return 1 - erf(x);
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), modified Lentz
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** erf(x) in float64 (series for |x| < 2.5, 1 − erfc beyond). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) >= 2.5) return Math.sign(x) * (1 - erfc(Math.abs(x)));
  // 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
  let term = x, sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Exact (erf) GELU: x · Φ(x) = 0.5 · x · (1 + erf(x/√2)), via erfc so the x → −∞ tail keeps its relative accuracy. */
export function gelu(x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v === -Infinity) y[i] = 0;
    else if (v === Infinity) y[i] = Infinity;
    else y[i] = v * (v >= 0 ? 1 - 0.5 * erfc(v / Math.SQRT2) : 0.5 * erfc(-v / Math.SQRT2));
  }
  return y;
}

/** SwiGLU: silu(gate) · up = gate / (1 + exp(−gate)) · up.  gate, up [T, F]. */
export function siluMul(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const y = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) y[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
  return y;
}

/** Residual add, optionally with a per-channel layer scale: y = x + f or y = x + ls ⊙ f.  x, f [rows, D], ls [D]. */
export function residual(x: ArrayLike<number>, f: ArrayLike<number>, ls: ArrayLike<number> | undefined, cols: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! + (ls ? ls[i % cols]! : 1) * f[i]!;
  return y;
}

/**
 * RoPE inverse frequencies exactly as HF computes them in float32:
 * inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))  → Float32Array [dim/2];
 * with LongRoPE's per-frequency `factors` (Phi-3): 1.0 / (factors * base ** (…)), the product in f32 too.
 */
export function ropeInvFreq(headDim: number, theta: number, factors?: readonly number[]): Float32Array {
  const out = new Float32Array(headDim / 2);
  const base = Math.fround(theta);
  for (let i = 0; i < headDim / 2; i++) {
    const e = Math.fround((2 * i) / headDim); // arange(...).float() / dim: one f32 division
    const power = Math.fround(Math.pow(base, e)); // powf
    out[i] = Math.fround(1 / (factors ? Math.fround(Math.fround(factors[i]!) * power) : power)); // 1.0 / … in f32
  }
  return out;
}

/**
 * Half-split (rotate_half, NeoX) RoPE on x [T, heads·Dh] with positions pos [T] and invFreq [Dh/2] (f32 values).
 * The angle θ_i = p · inv_freq[i] is rounded to f32 as HF does (freqs = position.float() · inv_freq); cos/sin are
 * then taken in float64 of that f32 angle. No cast of cos/sin to bf16 (activations here are f32).
 */
export function rope(x: ArrayLike<number>, pos: ArrayLike<number>, invFreq: ArrayLike<number>, rows: number, heads: number): Float64Array {
  const half = invFreq.length, dh = 2 * half;
  const y = new Float64Array(rows * heads * dh);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(Math.fround(pos[t]!) * invFreq[i]!);
      const c = Math.cos(angle), s = Math.sin(angle);
      for (let h = 0; h < heads; h++) {
        const base = (t * heads + h) * dh;
        const x1 = x[base + i]!, x2 = x[base + i + half]!;
        y[base + i] = x1 * c - x2 * s;
        y[base + i + half] = x2 * c + x1 * s;
      }
    }
  }
  return y;
}
