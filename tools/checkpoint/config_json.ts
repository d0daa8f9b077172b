// config.json text as transformers 4.37 wrote InternVL2-1B's: indent 2, keys in the given order (the official
// file is not fully sorted), floats in Python repr ("0.0", "1e-06"), which JSON.stringify cannot express.

/** A number that Python stored as float: 1.0 prints "1.0", not "1". */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type ConfigJson = null | boolean | number | string | PyFloat | ConfigJson[] | { [key: string]: ConfigJson };

/** Python's float repr for the values configs hold (finite; exponent form below 1e-4 or from 1e16). */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`config_json: ${x} has no JSON form`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

function dump(value: ConfigJson, depth: number): string {
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + dump(v, depth + 1)).join(',\n')}\n${end}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${dump(value[k]!, depth + 1)}`).join(',\n')}\n${end}}`;
}

export function configJsonText(value: ConfigJson): string {
  return dump(value, 0) + '\n';
}
