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
  readonly qweight: Uint32Array<ArrayBuffer>;
  /** f16 bits [N, K/32]. */
  readonly scales: Uint16Array<ArrayBuffer>;
}

const LIMITS: Record<QuantFormat, { divisor: number; perWord: number }> = {
  q4: { divisor: 7, perWord: 8 },
  q8: { divisor: 127, perWord: 4 },
};

/** x + ROUND_MAGIC − ROUND_MAGIC rounds a double of magnitude < 2^51 to an integer, halves to even (the FPU's mode). */
const ROUND_MAGIC = 1.5 * 2 ** 52;

/**
 * Quantizes bf16 bits [rows, cols] (row-major); cols must be a multiple of 32. Groups are 32 consecutive elements
 * of the flat array, so any whole number of groups (a chunk of a tensor being streamed) quantizes alike.
 * Each code is the f32 quotient w / s (a double quotient of two f32 values rounded once to f32 is the f32
 * division) rounded half-to-even by the double addition of 1.5·2^52, then clamped. The loops are written once
 * per format so that the packing constants are literals (~6 ns per weight in V8).
 */
export function quantize(format: QuantFormat, bf16: Uint16Array, rows: number, cols: number): QuantizedWeight {
  if (cols % QUANT_GROUP !== 0) throw new Error(`[quantize] ${cols} columns are not a multiple of ${QUANT_GROUP}`);
  if (bf16.length !== rows * cols) throw new Error(`[quantize] ${bf16.length} values for [${rows}, ${cols}]`);
  const { divisor, perWord } = LIMITS[format];
  const qweight = new Uint32Array((rows * cols) / perWord);
  const scales = new Uint16Array((rows * cols) / QUANT_GROUP);
  const wide = new Uint32Array(QUANT_GROUP);
  const group = new Float32Array(wide.buffer); // bf16 widened exactly: the bits in the top half
  for (let g = 0; g < scales.length; g++) {
    const base = g * QUANT_GROUP;
    let a = 0;
    for (let i = 0; i < QUANT_GROUP; i++) {
      wide[i] = bf16[base + i]! << 16;
      const v = Math.abs(group[i]!);
      if (v > a) a = v;
    }
    const sBits = f32ToF16(Math.fround(a / divisor));
    scales[g] = sBits;
    const s = f16ToF32(sBits);
    if (format === 'q4') {
      for (let w = 0; w < 4; w++) {
        let word = 0;
        for (let j = 0; j < 8; j++) {
          const t = s === 0 ? 0 : Math.fround(group[w * 8 + j]! / s) + ROUND_MAGIC - ROUND_MAGIC;
          word |= ((t > 7 ? 7 : t < -8 ? -8 : t) + 8) << (4 * j);
        }
        qweight[base / 8 + w] = word;
      }
    } else {
      for (let w = 0; w < 8; w++) {
        let word = 0;
        for (let j = 0; j < 4; j++) {
          const t = s === 0 ? 0 : Math.fround(group[w * 4 + j]! / s) + ROUND_MAGIC - ROUND_MAGIC;
          word |= ((t > 127 ? 127 : t < -127 ? -127 : t) & 0xff) << (8 * j);
        }
        qweight[base / 4 + w] = word;
      }
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
