// The one table of tolerances. A GPU result passes when, for every element, |got − want| ≤ atol + rtol·|want|.
// Each entry says why its numbers are what they are.

export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
  readonly why: string;
}

export const TOL = {
  exact: { atol: 0, rtol: 0, why: 'pure data movement (gather, shuffle, scatter, copies): bit-exact' },
  elementwise: { atol: 1e-6, rtol: 1e-6, why: 'one or two f32 roundings per element against float64' },
  transcendental: { atol: 2e-6, rtol: 1e-5, why: 'erf/exp/sin/cos approximations on the GPU are a few ulp off in f32' },
  reduction: { atol: 1e-5, rtol: 1e-5, why: 'f32 accumulation over a row (norms): error grows ~√n·ulp, 1e-5 relative covers n ≤ 10^4' },
  matmul: { atol: 2e-5, rtol: 1e-4, why: 'f32 accumulation of K products (K ≤ 4864); operands are exact (bf16 weights widen exactly)' },
  attention: { atol: 2e-5, rtol: 2e-4, why: 'online softmax rescaling plus two f32 dot products per key over ≤ 4k keys' },
  rope: { atol: 2e-5, rtol: 1e-4, why: 'f32 angles p·inv_freq for positions up to 32k lose ~p·ulp before sin/cos, as PyTorch does in f32' },
  f16Stored: {
    atol: 4e-5,
    rtol: 1.1e-3,
    why: 'a computed value stored as f16 (rotated keys in an f16 KV cache): rope\'s error, and the f16 rounding may then land on the neighbouring f16 (≤ 2^-10 relative)',
  },
} as const satisfies Record<string, Tolerance>;
