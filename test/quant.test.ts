// The quantized formats (runtime/quant.ts) against an independent numpy implementation of the same rules
// (tools/reference/quant_ref.py), bit for bit: codes, packing and f16 scales, on random weights of several
// magnitudes and on the edge cases the rules name — exact ties (halves to even), all-zero groups, scales that are
// f16 subnormals or round to 0 — plus f32→f16 rounding itself against numpy.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../runtime/dtype.js';
import { type QuantFormat, codeAt, dequantize, quantize } from '../runtime/quant.js';

const root = join(import.meta.dirname, '..');
const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quant-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A seeded normal stream. */
function normal(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Rows of 4 groups: random at several magnitudes, ties for both formats, zeros, tiny and vanishing scales. */
function weights(rows: number): Uint16Array {
  const cols = 128;
  const n = normal(5);
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = n() * 10 ** ((r % 5) - 3);
  const group = (row: number, g: number, fill: (i: number) => number) => {
    for (let i = 0; i < 32; i++) values[row * cols + g * 32 + i] = fill(i);
  };
  // q4 ties: a = 3.5 → s = 0.5 exactly; w / s = k + 0.5 for these.
  group(0, 0, (i) => [3.5, 0.75, 1.25, -0.25, 3.25, -1.75, 0.25, -2.75][i % 8]!);
  // q8 ties: a = 31.75 → s = 0.25 exactly.
  group(0, 1, (i) => [31.75, 0.375, 0.625, -0.125, -30.875, 0.125, 2.625, -1.375][i % 8]!);
  group(0, 2, () => 0); // all zero
  group(1, 0, (i) => (i - 16) * 1e-6); // a / 7 and a / 127: f16 subnormals
  group(1, 1, (i) => (i % 2 ? 1e-9 : -1e-9)); // scales round to 0: every code 0
  group(1, 2, (i) => (i === 5 ? -1 : 0)); // a single value
  return Uint16Array.from(values, (v) => f32ToBf16(v));
}

async function reference(format: QuantFormat, bits: Uint16Array, rows: number, cols: number) {
  const src = join(dir, `${format}.bf16`);
  await writeFile(src, new Uint8Array(bits.buffer));
  await run('python3', [join(root, 'tools', 'reference', 'quant_ref.py'), format, String(rows), String(cols), src, `${src}.q`, `${src}.s`]);
  return { qweight: new Uint32Array((await readFile(`${src}.q`)).buffer.slice(0)), scales: new Uint16Array((await readFile(`${src}.s`)).buffer.slice(0)) };
}

describe('quantized formats', () => {
  it('f32 → f16 rounds exactly as numpy (ties to even, subnormals, overflow, NaN, signed zero)', async () => {
    const n = normal(9);
    const values = Float32Array.from({ length: 4000 }, (_, i) => n() * 2 ** ((i % 60) - 30));
    values.set([0, -0, 65504, 65520, 65519.99, 1e6, -1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 6.1e-5, 1 / 3, Infinity, -Infinity, NaN]);
    const src = join(dir, 'values.f32');
    await writeFile(src, new Uint8Array(values.buffer));
    const { stdout } = await run('python3', ['-c', `import numpy as np, sys; sys.stdout.write(np.fromfile("${src}", dtype="<f4").astype(np.float16).view("<u2").tobytes().hex())`]);
    const expected = Uint16Array.from({ length: values.length }, (_, i) => parseInt(stdout.slice(4 * i + 2, 4 * i + 4) + stdout.slice(4 * i, 4 * i + 2), 16));
    const ours = Uint16Array.from(values, f32ToF16);
    const mismatches = [...ours.keys()].filter((i) => ours[i] !== expected[i]).map((i) => `${values[i]}: ${ours[i]!.toString(16)} vs ${expected[i]!.toString(16)}`);
    expect(mismatches).toEqual([]);
    for (const bits of [0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff]) expect(f32ToF16(f16ToF32(bits))).toBe(bits);
  });

  for (const format of ['q4', 'q8'] as const) {
    it(`${format}: codes, packing and scales equal the numpy reference bit for bit`, async () => {
      const rows = 11;
      const cols = 128;
      const bits = weights(rows);
      const ours = quantize(format, bits, rows, cols);
      const ref = await reference(format, bits, rows, cols);
      expect(ours.qweight.length).toBe((rows * cols) / (format === 'q4' ? 8 : 4));
      expect(ours.scales.length).toBe((rows * cols) / 32);
      expect([...ours.scales]).toEqual([...ref.scales]);
      expect([...ours.qweight]).toEqual([...ref.qweight]);
    });
  }

  it('ties go to the even code, zero and vanishing groups are all 0, and unclamped values come back within half a step', () => {
    const bits = weights(11);
    const q4 = quantize('q4', bits, 11, 128);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => codeAt(q4, i))).toEqual([7, 2, 2, 0, 6, -4, 0, -6]); // 1.5→2, 2.5→2, −0.5→0, 6.5→6, −3.5→−4, 0.5→0, −5.5→−6
    const q8 = quantize('q8', bits, 11, 128);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => codeAt(q8, 32 + i))).toEqual([127, 2, 2, 0, -124, 0, 10, -6]);
    for (const q of [q4, q8]) {
      for (let i = 0; i < 32; i++) expect(codeAt(q, 64 + i)).toBe(0);
      for (let i = 0; i < 32; i++) expect(codeAt(q, 128 + 32 + i)).toBe(0);
      expect(f16ToF32(q.scales[4 + 1]!)).toBe(0);
      const values = dequantize(q);
      for (let at = 0; at < values.length; at++) {
        const step = f16ToF32(q.scales[Math.floor(at / 32)]!);
        const w = bf16ToF32(bits[at]!);
        // (a subnormal scale may round down so far that the largest values clamp: those are off by more)
        const clamped = Math.abs(w / step) > (q.format === 'q4' ? 7.5 : 127.5);
        if (step > 0 && !clamped) expect(Math.abs(values[at]! - w)).toBeLessThanOrEqual(step * 0.5 + Math.abs(w) * 2 ** -10);
      }
    }
  });

  it('refuses a K that is not a multiple of 32', () => {
    expect(() => quantize('q4', new Uint16Array(40), 1, 40)).toThrow(/not a multiple of 32/);
  });
});
