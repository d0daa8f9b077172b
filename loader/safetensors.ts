// Our own safetensors reader: https://github.com/huggingface/safetensors (format: u64 LE header length N,
// N bytes of UTF-8 JSON, then the data section). Nothing in the header is trusted before it is checked,
// because offsets from it become GPU upload ranges.
import type { ByteSource } from './byte_source.js';

export const SAFETENSORS_DTYPE_BYTES = {
  BF16: 2, F16: 2, F32: 4, F64: 8, I8: 1, U8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8, BOOL: 1,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BYTES;

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file (header included): the tensor is bytes [begin, end). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly tensors: Map<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
  /** 8 + header length: where the data section starts. */
  readonly dataStart: number;
}

/** Headers of real checkpoints are tens of kB; anything past this is a corrupt or hostile length field. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function parseSafetensorsHeader(source: ByteSource): Promise<SafetensorsHeader> {
  const file = source.name;
  const fail = (problem: string): never => {
    throw new Error(`${file}: ${problem}`);
  };
  if (source.size < 8) fail(`truncated: ${source.size} bytes, shorter than the 8-byte header length`);

  const lengthBytes = await source.read(0, 8);
  const headerLength = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(source.size - 8)) {
    fail(`header length ${headerLength} runs past the end of the file (${source.size} bytes): truncated or not a safetensors file`);
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLength);
  const dataStart = 8 + n;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await source.read(8, n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) return fail('header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  const dataSize = source.size - dataStart;
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        fail('__metadata__ must be an object of string values');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    entries.push(parseEntry(file, name, value, dataStart, dataSize));
  }
  checkNoOverlap(file, entries);
  return { tensors: new Map(entries.map((e) => [e.name, e])), metadata, dataStart };
}

function parseEntry(file: string, name: string, value: unknown, dataStart: number, dataSize: number): SafetensorsEntry {
  const fail = (problem: string): never => {
    throw new Error(`${file}: tensor ${name}: ${problem}`);
  };
  if (!isRecord(value)) return fail('entry is not an object');
  const { dtype, shape, data_offsets } = value;
  if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BYTES)) {
    return fail(`unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return fail(`data_offsets ${JSON.stringify(data_offsets)} is not a pair of non-negative integers`);
  }
  const [start, stop] = data_offsets as [number, number];
  if (stop < start) fail(`data_offsets [${start}, ${stop}] end before they begin`);
  const expected = (shape as number[]).reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDType];
  if (stop - start !== expected) {
    fail(`shape [${shape.join(', ')}] × ${dtype} is ${expected} bytes but data_offsets [${start}, ${stop}] hold ${stop - start}`);
  }
  if (stop > dataSize) fail(`data_offsets [${start}, ${stop}] run past the end of the data section (${dataSize} bytes): truncated file?`);
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin: dataStart + start, end: dataStart + stop };
}

function checkNoOverlap(file: string, entries: readonly SafetensorsEntry[]): void {
  // Zero-size tensors occupy no bytes and cannot overlap anything.
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) throw new Error(`${file}: tensor ${cur.name} overlaps tensor ${prev.name} (bytes ${cur.begin} < ${prev.end})`);
  }
}
