// Typed reads of config.json fields that name the file and the dotted field path in every message.

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Fields {
  constructor(readonly file: string, readonly obj: Obj, readonly path: string) {}
  fail(key: string, problem: string): never {
    throw new Error(`${this.file}: ${this.path}${key}: ${problem}`);
  }
  private get(key: string): unknown {
    if (!(key in this.obj)) this.fail(key, 'missing');
    return this.obj[key];
  }
  int(key: string, min = 1): number {
    const v = this.get(key);
    if (!Number.isSafeInteger(v) || (v as number) < min) this.fail(key, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  }
  positive(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(key, `must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  }
  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  }
  is(key: string, allowed: readonly unknown[], why: string): void {
    const v = this.get(key);
    if (!allowed.includes(v)) this.fail(key, `${JSON.stringify(v)} is not supported (${why}; supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')})`);
  }
  optionalIs(key: string, allowed: readonly unknown[], why: string): void {
    if (key in this.obj && this.obj[key] !== undefined && this.obj[key] !== null) this.is(key, allowed, why);
  }
  sub(key: string): Fields {
    const v = this.get(key);
    if (!isObj(v)) this.fail(key, 'must be an object');
    return new Fields(this.file, v as Obj, `${this.path}${key}.`);
  }
}

export function parseJsonObject(text: string, file: string): Obj {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(json)) throw new Error(`${file}: not a JSON object`);
  return json;
}
