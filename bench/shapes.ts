// The real InternVL2-1B op shapes (InternViT-300M-448px + mlp1 projector + Qwen2-0.5B), shared by the
// benchmarks and the tests. One 448×448 tile: 1025 vision tokens (1024 patches + CLS), 256 after pixel shuffle.

export const VIT_TOKENS = 1025; // per tile
export const VIT_HIDDEN = 1024;
export const VIT_MLP = 4096;
export const PROJ_IN = 4096; // 4·D after pixel shuffle (downsample 0.5)
export const LLM_HIDDEN = 896;
export const LLM_KV = 128; // 2 kv heads × 64
export const LLM_FFN = 4864;
export const VOCAB = 151655;
export const PREFILL_TOKENS = 512;

/** y [M, N] = x [M, K] · W [N, K]ᵀ (+ b). */
export interface LinearShape {
  readonly name: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
}

export const LINEAR_SHAPES: readonly LinearShape[] = [
  { name: 'vit.qkv', M: VIT_TOKENS, N: 3 * VIT_HIDDEN, K: VIT_HIDDEN, bias: true },
  { name: 'vit.proj', M: VIT_TOKENS, N: VIT_HIDDEN, K: VIT_HIDDEN, bias: true },
  { name: 'vit.fc1', M: VIT_TOKENS, N: VIT_MLP, K: VIT_HIDDEN, bias: true },
  { name: 'vit.fc2', M: VIT_TOKENS, N: VIT_HIDDEN, K: VIT_MLP, bias: true },
  { name: 'mlp1.1', M: 256, N: LLM_HIDDEN, K: PROJ_IN, bias: true },
  { name: 'mlp1.3', M: 256, N: LLM_HIDDEN, K: LLM_HIDDEN, bias: true },
  { name: 'prefill.q', M: PREFILL_TOKENS, N: LLM_HIDDEN, K: LLM_HIDDEN, bias: true },
  { name: 'prefill.kv', M: PREFILL_TOKENS, N: LLM_KV, K: LLM_HIDDEN, bias: true },
  { name: 'prefill.o', M: PREFILL_TOKENS, N: LLM_HIDDEN, K: LLM_HIDDEN, bias: false },
  { name: 'prefill.gate_up', M: PREFILL_TOKENS, N: LLM_FFN, K: LLM_HIDDEN, bias: false },
  { name: 'prefill.down', M: PREFILL_TOKENS, N: LLM_HIDDEN, K: LLM_FFN, bias: false },
  { name: 'decode.q', M: 1, N: LLM_HIDDEN, K: LLM_HIDDEN, bias: true },
  { name: 'decode.kv', M: 1, N: LLM_KV, K: LLM_HIDDEN, bias: true },
  { name: 'decode.gate_up', M: 1, N: LLM_FFN, K: LLM_HIDDEN, bias: false },
  { name: 'decode.down', M: 1, N: LLM_HIDDEN, K: LLM_FFN, bias: false },
  { name: 'lm_head', M: 1, N: VOCAB, K: LLM_HIDDEN, bias: false },
];

export function linearShape(name: string): LinearShape {
  const s = LINEAR_SHAPES.find((c) => c.name === name);
  if (!s) throw new Error(`[bench/shapes] no linear shape "${name}"`);
  return s;
}
