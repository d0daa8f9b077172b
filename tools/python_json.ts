// json.dumps(value, indent=2, ensure_ascii=False[, sort_keys=True]) as transformers' save_pretrained writes
// config and tokenizer files. JSON.stringify alone cannot do this: JS objects put integer-like keys ("0", "10")
// first in numeric order, while Python sorts every key as a string by code point; and a Python float 1.0 prints
// "1.0", 1e-6 prints "1e-06".

/** A number that Python stored as float: 1.0 prints "1.0", not "1". */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJson = null | boolean | number | string | PyFloat | PyJson[] | { [key: string]: PyJson };

/** Python's float repr for the values configs hold (finite; exponent form below 1e-4 or from 1e16). */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`python_json: ${x} has no JSON form`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** Python's str ordering: by code point (JS `<` compares UTF-16 units, which differs above U+D7FF). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function dump(value: PyJson, depth: number, sortKeys: boolean): string {
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + dump(v, depth + 1, sortKeys)).join(',\n')}\n${end}]`;
  }
  const keys = sortKeys ? Object.keys(value).sort(compareCodePoints) : Object.keys(value);
  if (keys.length === 0) return '{}';
  const body = keys.map((k) => `${pad}${JSON.stringify(k)}: ${dump(value[k]!, depth + 1, sortKeys)}`);
  return `{\n${body.join(',\n')}\n${end}}`;
}

/** Serialized text, with the trailing newline transformers appends. Keys sorted unless `sortKeys` is false. */
export function pythonJsonDumps(value: PyJson, { sortKeys = true }: { sortKeys?: boolean } = {}): string {
  return dump(value, 0, sortKeys) + '\n';
}
