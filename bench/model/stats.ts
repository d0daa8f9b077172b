// Mean ± sample standard deviation over repetitions (after warm-up), with min/max kept for noisy machines.
export interface Stats {
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
  readonly min: number;
  readonly max: number;
}

export function stats(xs: readonly number[]): Stats {
  if (xs.length === 0) throw new Error('[bench] no samples');
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const r = (v: number) => +v.toPrecision(5);
  return { mean: r(mean), sd: r(sd), n, min: r(Math.min(...xs)), max: r(Math.max(...xs)) };
}

export function fmt(s: Stats | null | undefined, digits = 1): string {
  if (!s) return '–';
  const d = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(digits));
  return s.n > 1 ? `${d(s.mean)} ± ${d(s.sd)}` : d(s.mean);
}
