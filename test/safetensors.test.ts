import { describe, expect, it } from 'vitest';
import { bytesSource } from '../loader/byte_source.js';
import { MAX_HEADER_BYTES, parseSafetensorsHeader } from '../loader/safetensors.js';

/** A safetensors file from a header (object or raw text/bytes) and `dataBytes` bytes of data. */
function file(header: object | string | Uint8Array, dataBytes: number, declaredLength?: number): Uint8Array {
  const h = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? h.byteLength), true);
  out.set(h, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + h.byteLength + i] = i & 0xff;
  return out;
}

const parse = (bytes: Uint8Array) => parseSafetensorsHeader(bytesSource('bad.safetensors', bytes));

const good = {
  __metadata__: { format: 'pt' },
  'a.weight': { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 12] },
  'b.bias': { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
};

describe('parseSafetensorsHeader', () => {
  it('reads a valid header with absolute offsets and metadata', async () => {
    const bytes = file(good, 20);
    const h = await parse(bytes);
    const headerLength = bytes.byteLength - 8 - 20;
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.dataStart).toBe(8 + headerLength);
    expect(h.tensors.get('a.weight')).toEqual({ name: 'a.weight', dtype: 'BF16', shape: [2, 3], begin: h.dataStart, end: h.dataStart + 12 });
    expect(h.tensors.get('b.bias')!.begin).toBe(h.dataStart + 12);
  });

  it('accepts scalars, zero-size tensors, trailing space padding and every known dtype', async () => {
    const dtypes = { BF16: 2, F16: 2, F32: 4, F64: 8, I8: 1, U8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8, BOOL: 1 };
    const header: Record<string, object> = { scalar: { dtype: 'F32', shape: [], data_offsets: [0, 4] }, empty: { dtype: 'F32', shape: [0, 5], data_offsets: [4, 4] } };
    let off = 4;
    for (const [dtype, size] of Object.entries(dtypes)) {
      header[dtype] = { dtype, shape: [3], data_offsets: [off, off + 3 * size] };
      off += 3 * size;
    }
    const h = await parse(file(JSON.stringify(header) + '    ', off));
    expect(h.tensors.size).toBe(15);
    expect(h.tensors.get('scalar')!.shape).toEqual([]);
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated before the length', new Uint8Array(5), /bad\.safetensors: truncated: 5 bytes/],
    ['header length beyond the file', file(good, 20, 10_000), /header length 10000 runs past the end of the file/],
    ['header length 2^63', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /runs past the end/],
    ['header not JSON', file('{"a": ', 0), /header is not valid JSON/],
    ['header not an object', file('[1, 2]', 0), /header is not a JSON object/],
    ['header not UTF-8', file(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 0), /header is not valid UTF-8/],
    ['unknown dtype', file({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /tensor x: unknown dtype "F8_E4M3"/],
    ['negative shape', file({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /tensor x: shape \[-1\] is not a list of non-negative integers/],
    ['fractional shape', file({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /tensor x: shape/],
    ['bad data_offsets', file({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /tensor x: data_offsets \[0\] is not a pair/],
    ['offsets reversed', file({ x: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4), /tensor x: data_offsets \[4, 0\] end before they begin/],
    ['size mismatch', file({ x: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 10] } }, 12), /tensor x: shape \[2, 3\] × BF16 is 12 bytes but data_offsets \[0, 10\] hold 10/],
    ['range outside the data (truncated file)', file({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 12), /tensor x: data_offsets \[0, 16\] run past the end of the data section \(12 bytes\)/],
    ['overlap', file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /tensor y overlaps tensor x/],
    ['metadata not strings', file({ __metadata__: { format: 1 } }, 0), /__metadata__ must be an object of string values/],
    ['entry not an object', file({ x: 3 }, 0), /tensor x: entry is not an object/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects: ${what}`, async () => {
      await expect(parse(bytes)).rejects.toThrow(message);
    });
  }

  it('caps the header length', () => {
    expect(MAX_HEADER_BYTES).toBe(100 * 1024 * 1024);
  });

  it('rejects a header longer than the cap even when the file is that large', async () => {
    const size = MAX_HEADER_BYTES + 16;
    const source = {
      name: 'huge.safetensors',
      size,
      read: async (offset: number, length: number) => {
        const out = new Uint8Array(length);
        if (offset === 0) new DataView(out.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
        return out;
      },
    };
    await expect(parseSafetensorsHeader(source)).rejects.toThrow(/huge\.safetensors: header length 104857601 exceeds the 104857600-byte limit/);
  });
});
