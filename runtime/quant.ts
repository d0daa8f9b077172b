// The quantized weight formats, exactly (so that any implementation reproduces the same codes): per row n and
// group g of 32 consecutive elements along K of a weight W [N, K] (bf16):
//   a = max |W| over the group (f32, exact);
//   q4: s = f16(a / 7) (the division in f32, round to nearest even), q = clamp(roundHalfEven(W / f32(s)), −8, 7)
//       (the division in f32), 0 when s == 0; stored as the nibble q + 8, word j of a row holding elements
//       8j … 8j+7, element 8j+i in bits 4i … 4i+3;
//   q8: s = f16(a / 127), q = clamp(roundHalfEven(W / f32(s)), −127, 127), int8 two's complement, four per u32,
//       element 4j+i in byte i.
// A value dequantizes to q · f32(s). Host-side: load-time quantization, saved checkpoints and the float64
// references of the quantized kernels. Browser-safe.
import { bf16ToF32, f16ToF32, f32ToF16 } from './dtype.js';

export type QuantFormat = 'q4' | 'q8';

export const QUANT_GROUP = 32;

export interface QuantizedWeight {
  readonly format: QuantFormat;
  readonly rows: number;
  readonly cols: number;
  /** q4: [N, K/8] u32; q8: [N, K/4] u32. */
  readonly qweight: Uint32Array;
  /** f16 bits [N, K/32]. */
  readonly scales: Uint16Array;
}

const LIMITS: Record<QuantFormat, { max: number; min: number; divisor: number; perWord: number }> = {
  q4: { max: 7, min: -8, divisor: 7, perWord: 8 },
  q8: { max: 127, min: -127, divisor: 127, perWord: 4 },
};

/** Python's round(): halves to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Quantizes bf16 bits [rows, cols] (row-major); cols must be a multiple of 32. */
export function quantize(format: QuantFormat, bf16: Uint16Array, rows: number, cols: number): QuantizedWeight {
  if (cols % QUANT_GROUP !== 0) throw new Error(`[quantize] ${cols} columns are not a multiple of ${QUANT_GROUP}`);
  if (bf16.length !== rows * cols) throw new Error(`[quantize] ${bf16.length} values for [${rows}, ${cols}]`);
  const { max, min, divisor, perWord } = LIMITS[format];
  const bits = 32 / perWord;
  const mask = (1 << bits) - 1;
  const qweight = new Uint32Array((rows * cols) / perWord);
  const scales = new Uint16Array((rows * cols) / QUANT_GROUP);
  const group = new Float32Array(QUANT_GROUP);
  for (let g = 0; g < scales.length; g++) {
    const base = g * QUANT_GROUP;
    let a = 0;
    for (let i = 0; i < QUANT_GROUP; i++) {
      group[i] = bf16ToF32(bf16[base + i]!);
      a = Math.max(a, Math.abs(group[i]!));
    }
    const sBits = f32ToF16(Math.fround(a / divisor));
    scales[g] = sBits;
    const s = f16ToF32(sBits);
    for (let i = 0; i < QUANT_GROUP; i++) {
      const q = s === 0 ? 0 : Math.min(max, Math.max(min, roundHalfEven(Math.fround(group[i]! / s))));
      const stored = format === 'q4' ? q + 8 : q & 0xff;
      const at = base + i;
      qweight[Math.floor(at / perWord)]! |= (stored & mask) << (bits * (at % perWord));
    }
  }
  return { format, rows, cols, qweight, scales };
}

/** The signed code of element `at` (row-major index). */
export function codeAt(w: QuantizedWeight, at: number): number {
  const { perWord } = LIMITS[w.format];
  const bits = 32 / perWord;
  const raw = (w.qweight[Math.floor(at / perWord)]! >>> (bits * (at % perWord))) & ((1 << bits) - 1);
  return w.format === 'q4' ? raw - 8 : raw >= 128 ? raw - 256 : raw;
}

/** The dequantized values q · f32(s), row-major, in float64 (the references of the quantized kernels). */
export function dequantize(w: QuantizedWeight): Float64Array {
  const out = new Float64Array(w.rows * w.cols);
  for (let at = 0; at < out.length; at++) out[at] = codeAt(w, at) * f16ToF32(w.scales[Math.floor(at / QUANT_GROUP)]!);
  return out;
}
