// A small argv parser: `--name value`, `--name=value`, `--flag`, repeated options collected in order. Anything
// malformed is a UsageError (exit status 2), so the user learns the command line, not a stack trace.

export interface OptionSpec {
  readonly type: 'string' | 'number' | 'boolean';
  readonly repeat?: boolean;
  /** The value's name in the help, e.g. FILE. */
  readonly value?: string;
  readonly help?: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

export type Parsed = { _: string[] } & Record<string, string | number | boolean | (string | number)[] | string[] | undefined>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Positional arguments and required options, as in `internvl NAME <usage>`. */
  readonly usage: string;
  readonly options: Options;
  readonly run: (args: Parsed) => Promise<void>;
}

/** Bad usage: unknown option, missing value or argument. */
export class UsageError extends Error {}

export const VERBOSE: Options = { verbose: { type: 'boolean', help: 'adapter details, load and generation timings on stderr' } };

export function parseArgs(argv: readonly string[], spec: Options, command: string): Parsed {
  const out: Parsed = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out._.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const s = spec[rawName];
    if (!s) throw new UsageError(`unknown option --${rawName} (see internvl ${command} --help)`);
    let value: string | number | boolean;
    if (s.type === 'boolean') value = inline === undefined ? true : inline !== 'false';
    else {
      const text = inline ?? argv[++i];
      if (text === undefined) throw new UsageError(`--${rawName} needs a value`);
      value = s.type === 'number' ? Number(text) : text;
      if (s.type === 'number' && !Number.isFinite(value)) throw new UsageError(`--${rawName} must be a number, got "${text}"`);
    }
    const key = rawName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (s.repeat) ((out[key] as (string | number)[] | undefined) ?? (out[key] = [] as (string | number)[]) as (string | number)[]).push(value as string | number);
    else out[key] = value;
  }
  return out;
}

export function commandHelp(c: Command): string {
  const rows = Object.entries(c.options).map(([name, o]) => {
    const flag = `--${name}${o.type === 'boolean' ? '' : ` ${o.value ?? (o.type === 'number' ? 'N' : 'TEXT')}`}`;
    return `  ${flag.padEnd(26)} ${o.help ?? ''}${o.repeat ? ' (repeatable)' : ''}`;
  });
  return `usage: internvl ${c.name} ${c.usage}\n\n${c.summary}\n\noptions:\n${rows.join('\n')}\n  ${'--help'.padEnd(26)} this help\n`;
}
