// Per-tensor comparison of our intermediates with the PyTorch reference's, in pipeline order, and the
// first one that leaves tolerance — so a divergence is pinned to a layer, not just to "the logits differ".

export interface LayerDiff {
  readonly name: string;
  readonly elements: number;
  readonly maxAbs: number;
  /** max|ours − ref| / max|ref|: scale-free, and strict where the activations are large. */
  readonly rel: number;
  readonly ok: boolean;
}

/** f32 activations against a float32 PyTorch run of the same bf16 weights (ARCHITECTURE.md). */
export const PARITY_REL_TOL = 1e-3;

export function diff(name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, tol = PARITY_REL_TOL): LayerDiff {
  if (ours.length !== ref.length) return { name, elements: ref.length, maxAbs: Infinity, rel: Infinity, ok: false };
  let maxAbs = 0;
  let refMax = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    maxAbs = d > maxAbs || Number.isNaN(d) ? (Number.isNaN(d) ? Infinity : d) : maxAbs;
    refMax = Math.max(refMax, Math.abs(ref[i]!));
  }
  const rel = refMax > 0 ? maxAbs / refMax : maxAbs;
  return { name, elements: ref.length, maxAbs, rel, ok: rel <= tol };
}

export function formatTable(rows: readonly LayerDiff[]): string {
  const lines = ['| tensor | elements | max-abs | relative | |', '|---|---:|---:|---:|---|'];
  for (const r of rows) lines.push(`| ${r.name} | ${r.elements} | ${r.maxAbs.toExponential(2)} | ${r.rel.toExponential(2)} | ${r.ok ? 'ok' : 'OUT OF TOLERANCE'} |`);
  return lines.join('\n');
}

/** The first row out of tolerance: its own (PARITY_REL_TOL), or a tighter bound `bounds[name]` where a test needs one. */
export function firstDivergence(rows: readonly LayerDiff[], bounds: Readonly<Record<string, number>> = {}): LayerDiff | undefined {
  return rows.find((r) => !r.ok || r.rel > (bounds[r.name] ?? Infinity));
}
