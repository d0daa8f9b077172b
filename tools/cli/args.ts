// A small argv parser: `--name value`, `--flag`, repeated options collected in order. Unknown options are errors.

export interface OptionSpec {
  readonly type: 'string' | 'number' | 'boolean';
  readonly repeat?: boolean;
}

export type Parsed = { _: string[] } & Record<string, string | number | boolean | (string | number)[] | string[] | undefined>;

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, OptionSpec>>, command: string): Parsed {
  const out: Parsed = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out._.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const s = spec[rawName];
    if (!s) throw new Error(`${command}: unknown option --${rawName} (options: ${Object.keys(spec).map((k) => `--${k}`).join(' ')})`);
    let value: string | number | boolean;
    if (s.type === 'boolean') value = inline === undefined ? true : inline !== 'false';
    else {
      const text = inline ?? argv[++i];
      if (text === undefined) throw new Error(`${command}: --${rawName} needs a value`);
      value = s.type === 'number' ? Number(text) : text;
      if (s.type === 'number' && !Number.isFinite(value)) throw new Error(`${command}: --${rawName} must be a number, got "${text}"`);
    }
    const key = rawName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (s.repeat) ((out[key] as (string | number)[] | undefined) ?? (out[key] = [] as (string | number)[]) as (string | number)[]).push(value as string | number);
    else out[key] = value;
  }
  return out;
}
