"""The quantized weight formats of runtime/quant.ts, written independently with numpy from the same rules:
per row and group of 32 along K, a = max|W| (bf16 widened to f32), s = float16(a / d) (f32 division, round to
nearest even), q = clip(rint(W / f32(s)), lo, hi) (f32 division, halves to even), 0 where s == 0; q4 packs
q + 8 as nibbles (element 8j+i in bits 4i..4i+3 of word j), q8 packs int8 bytes (element 4j+i in byte i).

usage: quant_ref.py q4|q8 ROWS COLS IN_BF16 OUT_QWEIGHT OUT_SCALES   (raw little-endian files)
The PyTorch reference (internvl_ref.py --quant) runs the model on dequantize(quantize(W)) of the same matrices.
"""
import sys

import numpy as np


def quantize(fmt, bits, rows, cols):
    w = (bits.astype(np.uint32) << 16).view(np.float32).reshape(rows, cols // 32, 32)
    d, lo, hi = (np.float32(7), -8, 7) if fmt == "q4" else (np.float32(127), -127, 127)
    a = np.abs(w).max(axis=-1)
    s16 = (a / d).astype(np.float16)
    s = s16.astype(np.float32)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(s == 0, 0, np.clip(np.rint(w / s), lo, hi)).astype(np.int64).reshape(-1)
    if fmt == "q4":
        nib = (q + 8).astype(np.uint32).reshape(-1, 8)
        words = np.zeros(nib.shape[0], dtype=np.uint32)
        for i in range(8):
            words |= nib[:, i] << np.uint32(4 * i)
    else:
        byte = (q & 0xFF).astype(np.uint32).reshape(-1, 4)
        words = np.zeros(byte.shape[0], dtype=np.uint32)
        for i in range(4):
            words |= byte[:, i] << np.uint32(8 * i)
    return words, s16.reshape(-1)


def dequantize(fmt, words, scales, rows, cols):
    """q * f32(s) as float32 [rows, cols], unpacked from the words by the same rules (exact in f32)."""
    if fmt == "q4":
        codes = np.stack([(words >> np.uint32(4 * i)) & np.uint32(15) for i in range(8)], axis=-1).astype(np.int64) - 8
    else:
        codes = np.stack([(words >> np.uint32(8 * i)) & np.uint32(255) for i in range(4)], axis=-1).astype(np.int64)
        codes = np.where(codes >= 128, codes - 256, codes)
    q = codes.reshape(rows, cols // 32, 32).astype(np.float32)
    return (q * scales.astype(np.float32).reshape(rows, cols // 32, 1)).reshape(rows, cols)


def is_quantizable(name, shape):
    """Every 2-D language_model.*.weight whose K is a multiple of 32 (loader/quantization.ts)."""
    return name.startswith("language_model.") and name.endswith(".weight") and len(shape) == 2 and shape[1] % 32 == 0


def is_vision_quantizable(name, shape):
    """Every 2-D vision_model.*.weight and mlp1.*.weight whose K is a multiple of 32 (quantized only when asked)."""
    side = name.startswith("vision_model.") or name.startswith("mlp1.")
    return side and name.endswith(".weight") and len(shape) == 2 and shape[1] % 32 == 0


if __name__ == "__main__":
    fmt, rows, cols, src, out_q, out_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7]
    words, scales = quantize(fmt, np.fromfile(src, dtype="<u2"), rows, cols)
    words.astype("<u4").tofile(out_q)
    scales.astype("<f2").tofile(out_s)
