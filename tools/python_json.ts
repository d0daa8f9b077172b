// json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) as transformers' save_pretrained writes
// tokenizer files. JSON.stringify alone cannot do this: JS objects put integer-like keys ("0", "10") first
// in numeric order, while Python sorts every key as a string by code point.

export type PyJson = null | boolean | number | string | PyJson[] | { [key: string]: PyJson };

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

function dump(value: PyJson, depth: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + dump(v, depth + 1)).join(',\n')}\n${end}]`;
  }
  const keys = Object.keys(value).sort(compareCodePoints);
  if (keys.length === 0) return '{}';
  const body = keys.map((k) => `${pad}${JSON.stringify(k)}: ${dump(value[k]!, depth + 1)}`);
  return `{\n${body.join(',\n')}\n${end}}`;
}

/** Serialized text, with the trailing newline transformers appends. */
export function pythonJsonDumps(value: PyJson): string {
  return dump(value, 0) + '\n';
}
