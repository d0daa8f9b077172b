// The part of vitest's API the kernel tests use (describe / it / expect with a few matchers), so that the same
// test files run inside a page. Tests are collected when a file is imported and run by runCollected().

type Body = () => unknown | Promise<unknown>;
export interface Collected {
  readonly name: string;
  readonly body: Body;
}

let collected: Collected[] = [];
const prefix: string[] = [];

export function describe(name: string, body: () => void): void {
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
  }
}

export function it(name: string, body: Body, _timeout?: number): void {
  collected.push({ name: [...prefix, name].join(' > '), body });
}
export const test = it;

/** Takes the tests collected since the last call. */
export function takeCollected(): Collected[] {
  const out = collected;
  collected = [];
  return out;
}

export interface TestResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export async function runCollected(tests: readonly Collected[], filter?: (name: string) => boolean): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const t of tests) {
    if (filter && !filter(t.name)) continue;
    const t0 = performance.now();
    try {
      await t.body();
      results.push({ name: t.name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      results.push({ name: t.name, ok: false, ms: performance.now() - t0, error: e instanceof Error ? `${e.message}` : String(e) });
    }
  }
  return results;
}

function fail(message: string | undefined, what: string): never {
  throw new Error(message ? `${message}: ${what}` : what);
}

function show(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x)) ?? String(v)).slice(0, 300);
  } catch {
    return String(v);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || Array.isArray(a) || Array.isArray(b)) {
    const x = a as ArrayLike<unknown>, y = b as ArrayLike<unknown>;
    if (Array.isArray(a) !== Array.isArray(b) && !(ArrayBuffer.isView(a) && ArrayBuffer.isView(b))) return false;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function throws(fn: unknown): Error | undefined {
  try {
    (fn as () => unknown)();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  return undefined;
}

function matchesExpected(e: Error, expected?: string | RegExp | (new (...a: never[]) => Error)): boolean {
  if (expected === undefined) return true;
  if (typeof expected === 'string') return e.message.includes(expected);
  if (expected instanceof RegExp) return expected.test(e.message);
  return e instanceof expected;
}

export function expect(actual: unknown, message?: string) {
  const m = {
    toBe: (want: unknown) => Object.is(actual, want) || fail(message, `expected ${show(actual)} to be ${show(want)}`),
    toEqual: (want: unknown) => deepEqual(actual, want) || fail(message, `expected ${show(actual)} to equal ${show(want)}`),
    toStrictEqual: (want: unknown) => deepEqual(actual, want) || fail(message, `expected ${show(actual)} to equal ${show(want)}`),
    toBeGreaterThan: (n: number) => (actual as number) > n || fail(message, `expected ${show(actual)} > ${n}`),
    toBeGreaterThanOrEqual: (n: number) => (actual as number) >= n || fail(message, `expected ${show(actual)} >= ${n}`),
    toBeLessThan: (n: number) => (actual as number) < n || fail(message, `expected ${show(actual)} < ${n}`),
    toBeLessThanOrEqual: (n: number) => (actual as number) <= n || fail(message, `expected ${show(actual)} <= ${n}`),
    toBeTruthy: () => !!actual || fail(message, `expected ${show(actual)} to be truthy`),
    toThrow: (expected?: string | RegExp | (new (...a: never[]) => Error)) => {
      const e = throws(actual);
      if (!e) fail(message, 'expected the function to throw');
      if (!matchesExpected(e, expected)) fail(message, `expected the error to match ${String(expected)}, got "${e.message}"`);
      return true;
    },
    not: {
      toThrow: () => {
        const e = throws(actual);
        return !e || fail(message, `expected no error, got "${e.message}"`);
      },
      toBe: (want: unknown) => !Object.is(actual, want) || fail(message, `expected ${show(actual)} not to be ${show(want)}`),
      toEqual: (want: unknown) => !deepEqual(actual, want) || fail(message, `expected ${show(actual)} not to equal ${show(want)}`),
    },
  };
  return m;
}
