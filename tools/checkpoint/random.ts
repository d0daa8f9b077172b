// Seeded, fast random weights. Each tensor gets its own stream seeded from (seed, name), so any tensor can be
// regenerated alone (tests compare a file's bytes with regenerateTensor) and file order does not matter.

/** xoshiro128** (Blackman & Vigna): 32-bit state words, good quality, cheap in JS integer arithmetic. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 expands one 32-bit seed into four non-zero-ish state words.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a of the name mixed with the seed: the per-tensor stream seed. */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** value = mean + std·z with z ~ N(0,1), and which stats a tensor gets from its name. */
export interface Init {
  readonly mean: number;
  readonly std: number;
}

/**
 * Realistic magnitudes so activations stay in range through every layer: norm weights near 1 (positive),
 * layer scales near 0.1, biases and all matrices and embeddings N(0, 0.02) as initializer_range.
 */
export function initFor(name: string): Init {
  if (/(^|\.)ls[12]$/.test(name)) return { mean: 0.1, std: 0.01 };
  if (/(norm\d?|layernorm|mlp1\.0)\.weight$/.test(name)) return { mean: 1, std: 0.1 };
  return { mean: 0, std: 0.02 };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const SQRT3 = Math.sqrt(3);
const INV16 = 1 / 65536;

/**
 * Fills `out` with bf16 bits of mean + std·z. z is Irwin–Hall(4) scaled to unit variance (four 16-bit uniforms
 * from two draws): close to normal, bounded by ±2√3, so norm weights 1 ± 0.35 stay positive, and several times
 * faster than Box–Muller, which matters for the 938M-value full preset.
 */
export function fillBf16(out: Uint16Array, rng: Xoshiro128, init: Init): void {
  const scale = init.std * SQRT3 * INV16;
  for (let i = 0; i < out.length; i++) {
    const x = rng.nextU32();
    const y = rng.nextU32();
    // Sum of four U[0,65536) minus its mean 131070 → variance 4·65536²/12 = 65536²/3; · √3/65536 → variance 1.
    const sum = (x & 0xffff) + (x >>> 16) + (y & 0xffff) + (y >>> 16) - 131070;
    f32[0] = init.mean + sum * scale;
    const u = u32[0]!;
    out[i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16; // round to nearest even, as torch's .to(bfloat16)
  }
}

/** The full bf16 bits of one tensor, exactly as make_checkpoint writes them. */
export function regenerateTensor(seed: number, name: string, numel: number): Uint16Array {
  const out = new Uint16Array(numel);
  fillBf16(out, new Xoshiro128(tensorSeed(seed, name)), initFor(name));
  return out;
}
