// Next-token choice from one row of logits: greedy, or HF-style sampling (repetition penalty → temperature →
// top-k → top-p → multinomial) with a seeded generator so runs are reproducible. Order and semantics follow
// transformers' LogitsProcessor list for generate(do_sample=True).

export interface SamplingOptions {
  /** false → greedy argmax (first index on ties), as chat() with do_sample=False. */
  readonly doSample?: boolean;
  readonly temperature?: number;
  /** 0 disables. HF default 50. */
  readonly topK?: number;
  /** 1 disables. */
  readonly topP?: number;
  /** 1 disables; > 1 discourages tokens already in the sequence (prompt included, as HF does). */
  readonly repetitionPenalty?: number;
  readonly seed?: number;
}

export function validateSampling(o: SamplingOptions): void {
  const bad = (field: string, why: string) => {
    throw new Error(`[generation] ${field} ${why}`);
  };
  if (o.temperature !== undefined && !(o.temperature > 0)) bad('temperature', `must be > 0, got ${o.temperature} (use doSample: false for greedy)`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 0)) bad('topK', `must be a non-negative integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad('topP', `must be in (0, 1], got ${o.topP}`);
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0)) bad('repetitionPenalty', `must be > 0, got ${o.repetitionPenalty}`);
}

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let value = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > value) {
      value = logits[i]!;
      best = i;
    }
  }
  return best;
}

/** HF RepetitionPenaltyLogitsProcessor: divide positive scores, multiply negative ones, once per distinct token. */
export function applyRepetitionPenalty(logits: Float32Array, previous: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(previous)) {
    if (id < 0 || id >= logits.length) continue;
    const v = logits[id]!;
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

/** Sample one token id. `logits` is modified in place (penalty, temperature). */
export function sampleToken(logits: Float32Array, options: SamplingOptions, previous: Iterable<number>, random: () => number): number {
  applyRepetitionPenalty(logits, previous, options.repetitionPenalty ?? 1);
  if (!options.doSample) return argmax(logits);
  const temperature = options.temperature ?? 1;
  // Candidates sorted by score, descending (ties by index, so the order is deterministic).
  let candidates = Array.from(logits.keys()).filter((i) => logits[i]! > -Infinity);
  const topK = options.topK ?? 0;
  candidates.sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (topK > 0 && topK < candidates.length) {
    // HF TopK keeps every token whose score ties the k-th.
    const kth = logits[candidates[topK - 1]!]!;
    candidates = candidates.filter((i, rank) => rank < topK || logits[i] === kth);
  }
  const max = logits[candidates[0]!]! / temperature;
  const weights = candidates.map((i) => Math.exp(logits[i]! / temperature - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let keep = candidates.length;
  const topP = options.topP ?? 1;
  if (topP < 1) {
    // HF TopP removes tokens whose cumulative probability (ascending order) is ≤ 1 − top_p; keeps at least one.
    let cumulative = 0;
    keep = 0;
    while (keep < candidates.length) {
      cumulative += weights[keep]! / total;
      keep++;
      if (cumulative >= topP) break;
    }
  }
  const kept = weights.slice(0, keep);
  const keptTotal = kept.reduce((a, b) => a + b, 0);
  let u = random() * keptTotal;
  for (let i = 0; i < keep; i++) {
    u -= kept[i]!;
    if (u < 0) return candidates[i]!;
  }
  return candidates[keep - 1]!;
}
