// Next-token choice from one row of logits on the host: greedy, or HF-style sampling (repetition penalty →
// temperature → top-k → top-p → multinomial) with a seeded generator so runs are reproducible. It is also the
// float64 reference of the GPU sampler (runtime/reference/sample.ts). Order and semantics follow
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

/**
 * Tokens whose weight exp((l − max)/T) is below e^−50 (≈ 2e−22 of the top token, < 3e−17 of the total even for all
 * 151,655 of them) cannot move a float64 cumulative sum or be hit by a 32-bit uniform, so they are never sorted.
 */
const NEGLIGIBLE_LOGIT_GAP = 50;

/** Indices of the k largest values (all ties with the k-th included), by a size-k min-heap: O(V log k). */
function topKIndices(logits: Float32Array, k: number): number[] {
  const heap: number[] = []; // min-heap of indices by (value, −index)
  const less = (a: number, b: number) => logits[a]! < logits[b]! || (logits[a] === logits[b] && a > b);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = 0; i < logits.length; i++) {
    if (!(logits[i]! > -Infinity)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let j = heap.length - 1; j > 0 && less(heap[j]!, heap[(j - 1) >> 1]!); j = (j - 1) >> 1) swap(j, (j - 1) >> 1);
    } else if (less(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  const kth = heap.length ? logits[heap[0]!]! : -Infinity;
  const out = heap.slice();
  // HF TopK keeps every token whose score ties the k-th.
  for (let i = 0; i < logits.length; i++) if (logits[i] === kth && !out.includes(i)) out.push(i);
  return out;
}

/** Sample one token id. `logits` is modified in place (penalty, temperature). */
export function sampleToken(logits: Float32Array, options: SamplingOptions, previous: Iterable<number>, random: () => number): number {
  applyRepetitionPenalty(logits, previous, options.repetitionPenalty ?? 1);
  if (!options.doSample) return argmax(logits);
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const max = logits[argmax(logits)]!;
  let candidates: number[];
  if (topK > 0 && topK < logits.length) candidates = topKIndices(logits, topK);
  else {
    candidates = [];
    const floor = max - NEGLIGIBLE_LOGIT_GAP * temperature;
    for (let i = 0; i < logits.length; i++) if (logits[i]! >= floor) candidates.push(i);
  }
  // Candidates by score, descending (ties by index, so the order is deterministic).
  candidates.sort((a, b) => logits[b]! - logits[a]! || a - b);
  const top = logits[candidates[0]!]! / temperature;
  const weights = candidates.map((i) => Math.exp(logits[i]! / temperature - top));
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
