// Device bytes → host numbers for any dtype (readback of tensors for tests, parity and logits).
import { type DType, bf16ToF32, f16ToF32 } from './dtype.js';

export function decodeValues(dtype: DType, bytes: ArrayBuffer, count: number): Float32Array | Uint32Array | Int32Array {
  switch (dtype) {
    case 'f32':
      return new Float32Array(bytes, 0, count);
    case 'u32':
      return new Uint32Array(bytes, 0, count);
    case 'i32':
      return new Int32Array(bytes, 0, count);
    case 'bf16': {
      const halves = new Uint16Array(bytes, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = bf16ToF32(halves[i]!);
      return out;
    }
    case 'f16': {
      const halves = new Uint16Array(bytes, 0, count);
      return Float32Array.from(halves, f16ToF32);
    }
    case 'q4':
    case 'q8':
      throw new Error(`[readback] ${dtype} codes are not values (runtime/quant.ts dequantize)`);
  }
}
