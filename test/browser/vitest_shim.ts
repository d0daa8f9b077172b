// The part of vitest's API the kernel tests use (describe / it / beforeAll / afterAll / expect with a few
// matchers), so that the same test files run inside a page. Tests are collected when a file is imported and run by
// runCollected(); a describe's beforeAll hooks run before its first selected test, its afterAll hooks after its
// last, and not at all when none of its tests is selected.

type Body = () => unknown | Promise<unknown>;
interface Scope {
  readonly before: Body[];
  readonly after: Body[];
}
export interface Collected {
  readonly name: string;
  readonly body: Body;
  /** The enclosing describes, outermost first. */
  readonly scopes: readonly Scope[];
}

let collected: Collected[] = [];
const prefix: string[] = [];
const scopes: Scope[] = [{ before: [], after: [] }];

export function describe(name: string, body: () => void): void {
  prefix.push(name);
  scopes.push({ before: [], after: [] });
  try {
    body();
  } finally {
    prefix.pop();
    scopes.pop();
  }
}

function collect(name: string, body: Body, _timeout?: number): void {
  collected.push({ name: [...prefix, name].join(' > '), body, scopes: [...scopes] });
}
const skipped = (_name: string, _body: Body, _timeout?: number): void => {};
/** it(name, body), it.runIf(condition)(name, body), it.skipIf(condition)(name, body). */
export const it = Object.assign(collect, {
  runIf: (condition: unknown) => (condition ? collect : skipped),
  skipIf: (condition: unknown) => (condition ? skipped : collect),
});
export const test = it;

export function beforeAll(hook: Body, _timeout?: number): void {
  scopes.at(-1)!.before.push(hook);
}

export function afterAll(hook: Body, _timeout?: number): void {
  scopes.at(-1)!.after.push(hook);
}

/** Takes the tests collected since the last call (one file's); the next file starts with fresh top-level hooks. */
export function takeCollected(): Collected[] {
  const out = collected;
  collected = [];
  scopes[0] = { before: [], after: [] };
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
  const selected = tests.filter((t) => !filter || filter(t.name));
  const started = new Set<Scope>();
  for (const [i, t] of selected.entries()) {
    const t0 = performance.now();
    try {
      for (const scope of t.scopes) {
        if (started.has(scope)) continue;
        started.add(scope);
        for (const hook of scope.before) await hook();
      }
      await t.body();
      results.push({ name: t.name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      results.push({ name: t.name, ok: false, ms: performance.now() - t0, error: e instanceof Error ? `${e.message}` : String(e) });
    }
    // Scopes that no later selected test belongs to are done: their afterAll hooks run, innermost first.
    const later = new Set(selected.slice(i + 1).flatMap((x) => x.scopes));
    for (const scope of [...t.scopes].reverse()) {
      if (later.has(scope)) continue;
      try {
        for (const hook of scope.after) await hook();
      } catch (e) {
        results.push({ name: `${t.name} (afterAll)`, ok: false, ms: 0, error: e instanceof Error ? e.message : String(e) });
      }
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
    rejects: {
      toThrow: async (expected?: string | RegExp | (new (...a: never[]) => Error)) => {
        let error: Error | undefined;
        try {
          await (actual as Promise<unknown>);
        } catch (e) {
          error = e instanceof Error ? e : new Error(String(e));
        }
        if (!error) fail(message, 'expected the promise to reject');
        if (!matchesExpected(error, expected)) fail(message, `expected the rejection to match ${String(expected)}, got "${error.message}"`);
        return true;
      },
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
