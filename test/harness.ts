// Shared test helpers: a seeded RNG, GPU tensors from host arrays, running a graph next to its float64
// reference, and a comparison that says where and by how much a result is off.
import type { Gpu } from '../runtime/device.js';
import { bf16ToF32, packBf16, roundToBf16, roundToF16 } from '../runtime/dtype.js';
import { type QuantFormat, dequantize, quantize } from '../runtime/quant.js';
import { quantizedTensor } from '../runtime/quant_tensor.js';
import { decodeValues } from '../runtime/decode_values.js';
import { Graph, type ReferenceEnv } from '../runtime/graph.js';
import { type Plan, compilePlan } from '../runtime/plan.js';
import { type Tensor, formatShape, numel } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';
import { tensorFromValues } from '../runtime/upload.js';
import { nodeGpu } from '../tools/node/gpu.js';
import type { Tolerance } from './tolerances.js';

export function getGpu(): Promise<Gpu> {
  return nodeGpu();
}

/** mulberry32: small, fast, seeded. */
export function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (n: number, lo = -1, hi = 1) => Float64Array.from({ length: n }, () => lo + (hi - lo) * next()),
    normal: (n: number, std = 1) =>
      Float64Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())),
    int: (n: number, hi: number) => Uint32Array.from({ length: n }, () => Math.floor(next() * hi)),
  };
}

/** Values as the GPU will hold them (f32 or bf16 rounding), so the reference sees identical operands. */
export function asStored(dtype: DType, values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  if (dtype === 'f32') for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]!);
  if (dtype === 'bf16') for (let i = 0; i < out.length; i++) out[i] = roundToBf16(out[i]!);
  if (dtype === 'f16') for (let i = 0; i < out.length; i++) out[i] = roundToF16(out[i]!);
  return out;
}

/** A graph on the test device together with the reference environment of its host tensors. */
export class TestGraph {
  readonly g: Graph;
  readonly env: ReferenceEnv = new Map();
  readonly inputs: [Tensor, ArrayBufferView][] = [];

  /** bindingLimit: pretend maxStorageBufferBindingSize is this (weights then bind as row chunks, as lm_head does). */
  constructor(readonly gpu: Gpu, bindingLimit?: number) {
    const { maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment } = gpu.limits;
    const limits = { maxStorageBufferBindingSize: bindingLimit ?? maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment };
    this.g = new Graph(limits, gpu.profile);
  }

  /** A q4/q8 weight [N, K] quantized from these values by the exact rules; its reference value is the dequantized one. */
  quantized(name: string, format: QuantFormat, N: number, K: number, values: ArrayLike<number>): Tensor {
    const q = quantize(format, packBf16(values), N, K);
    const t = quantizedTensor(this.gpu, name, q);
    this.env.set(t.id, dequantize(q));
    return t;
  }

  /** A host-valued tensor uploaded to the device (weights and inputs alike). */
  tensor(name: string, shape: readonly number[], dtype: DType, values: ArrayLike<number>, kind: 'weight' | 'input' | 'state' = 'weight'): Tensor {
    const t = tensorFromValues(this.gpu, name, shape, dtype, values, kind);
    this.env.set(t.id, asStored(dtype, values));
    return t;
  }

  /** Run the graph on the GPU (intermediates poisoned with NaN) and the reference; returns both for `outputs`. */
  async run(outputs: readonly Tensor[], symbols: Record<string, number> = {}): Promise<{ got: Map<Tensor, Float32Array | Uint32Array | Int32Array>; want: Map<Tensor, Float64Array>; plan: Plan }> {
    const plan = compilePlan(this.gpu, this.g, { keep: outputs, poison: true, label: 'test' });
    const bytes = await plan.run({ read: outputs, symbols });
    const got = new Map<Tensor, Float32Array | Uint32Array | Int32Array>();
    for (const t of outputs) got.set(t, decodeValues(t.dtype, bytes.get(t.name)!, numel(t.shape)));
    for (const node of this.g.nodes) node.reference(this.env);
    const want = new Map<Tensor, Float64Array>();
    for (const t of outputs) want.set(t, this.env.get(t.id)!);
    plan.destroy();
    return { got, want, plan };
  }
}

export interface Comparison {
  readonly maxAbs: number;
  readonly maxAbsIndex: number;
  readonly maxRel: number;
  readonly nmse: number;
  readonly bad: number;
  readonly firstBad: number;
}

export function compareArrays(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): Comparison {
  if (got.length !== want.length) throw new Error(`length mismatch: got ${got.length}, want ${want.length}`);
  let maxAbs = 0, maxAbsIndex = -1, maxRel = 0, err2 = 0, ref2 = 0, bad = 0, firstBad = -1;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    const d = Math.abs(g - w);
    const ok = d <= tol.atol + tol.rtol * Math.abs(w); // NaN fails: comparisons with NaN are false
    if (!ok) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
    if (!(d <= maxAbs)) {
      maxAbs = Number.isNaN(d) ? Infinity : d;
      maxAbsIndex = i;
    }
    if (w !== 0) maxRel = Math.max(maxRel, d / Math.abs(w));
    err2 += d * d;
    ref2 += w * w;
  }
  return { maxAbs, maxAbsIndex, maxRel, nmse: ref2 > 0 ? err2 / ref2 : err2, bad, firstBad };
}

/** Throws a message with the case, max-abs (where), max-rel, NMSE and the first bad elements. */
export function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): Comparison {
  const c = compareArrays(got, want, tol);
  if (c.bad > 0) {
    const sample = [];
    for (let i = c.firstBad, n = 0; i < got.length && n < 5; i++) {
      const d = Math.abs(got[i]! - want[i]!);
      if (!(d <= tol.atol + tol.rtol * Math.abs(want[i]!))) {
        sample.push(`[${i}] got ${got[i]} want ${want[i]}`);
        n++;
      }
    }
    throw new Error(
      `${label}: ${c.bad}/${got.length} elements out of tolerance (atol ${tol.atol}, rtol ${tol.rtol}); ` +
        `max-abs ${c.maxAbs.toExponential(3)} at ${c.maxAbsIndex}, max-rel ${c.maxRel.toExponential(3)}, NMSE ${c.nmse.toExponential(3)}; ` +
        `first bad: ${sample.join(', ')}`,
    );
  }
  return c;
}

/** Run and compare every output; the label names the case and shapes. */
export async function checkGraph(tg: TestGraph, outputs: readonly Tensor[], tol: Tolerance, label: string, symbols: Record<string, number> = {}): Promise<void> {
  const { got, want } = await tg.run(outputs, symbols);
  for (const t of outputs) expectClose(`${label} ${t.name} ${formatShape(t.shape)}`, got.get(t)!, want.get(t)!, tol);
}

/**
 * `count` bf16 bit patterns from a cheap integer hash (sign, 7 mantissa bits, |v| in [2^-8, 2)): weights the size of
 * the real lm_head without generating 136 M random normals.
 */
export function hashedBf16Bits(count: number): Uint16Array {
  const bits = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ (h >>> 16);
    bits[i] = (h & 0x807f) | ((119 + ((h >>> 8) & 7)) << 7);
  }
  return bits;
}

/** Every bf16 bit pattern widened to float64: the reference reads hashed weights through it. */
export function bf16Table(): Float64Array {
  const lut = new Float64Array(65536);
  for (let i = 0; i < 65536; i++) lut[i] = bf16ToF32(i);
  return lut;
}
