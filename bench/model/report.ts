// Output of a model benchmark: JSON lines (every line carries the adapter and the Node/Dawn versions), a
// dated Markdown section for bench/RESULTS.md, and a hand-written SVG bar chart of the ratios.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult, Metric } from './run.js';
import { type Stats, fmt } from './stats.js';

export function jsonLines(r: BenchResult): string[] {
  const { date, adapter, profile, node, dawn } = r.run;
  const threads = r.run.torch?.threads ?? null;
  return [JSON.stringify(r.run), ...r.metrics.map((m) => JSON.stringify({ type: 'metric', date, adapter, profile, node, dawn, torch_threads: threads, ...m }))];
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function cell(m: Metric, s: Stats | null): string {
  if (!s) return '–';
  if (m.unit === 'bytes') return mib(s.mean);
  return fmt(s, m.unit === 'tok/s' ? 2 : 1);
}

const ratioCell = (x: number | null) => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** "ours is N× faster (>1) / slower (<1)" than PyTorch for a figure, whichever direction the unit runs. */
export function speedup(m: Metric, ref: 'f32' | 'bf16'): number | null {
  const r = ref === 'f32' ? m.ratio_f32 : m.ratio_bf16;
  if (r === null || r === 0) return null;
  return m.better === 'lower' ? 1 / r : r;
}

export function markdownSection(r: BenchResult): string {
  const x = r.run;
  const w = x.workload;
  const torch = x.torch ? `PyTorch ${x.torch.version} on ${x.torch.device ?? 'cpu'}, ${x.torch.threads} threads${x.torch.blas ? `, ${x.torch.blas}` : ''}` : 'PyTorch not run (--no-torch)';
  const labels = x.torch?.labels ?? { f32: 'PyTorch f32', bf16: 'PyTorch bf16' };
  // Columns of the dtypes PyTorch ran (both when it did not run, so the layout stays the same).
  const cols = (['f32', 'bf16'] as const).filter((d) => !x.torch || r.metrics.some((m) => (d === 'f32' ? m.torch_f32 : m.torch_bf16)));
  const lines = [
    `## ${x.date.slice(0, 16).replace('T', ' ')} UTC — ${x.adapter}`,
    '',
    `Profile: ${x.profile ?? 'auto'}.${x.weights && x.weights !== 'bf16' ? ` Our language model ${x.weights} (quantized while loading; PyTorch on the bf16 weights).` : ''}${x.kvCache === 'f16' ? ' Our KV cache f16.' : ''}`,
    '',
    `Node ${x.node}, ${x.dawn}; ${torch}; CPU ${x.cpus}; load average at start ${x.loadavg.join(' / ')}.`,
    `Model: \`${x.model}\`. Workloads: ${w.tiles.length ? `TTFT at ${w.tiles.join(', ')} tile(s) with “${w.question}” (${Object.entries(w.ttftPromptTokens).map(([t, n]) => `${t} → ${n} tokens`).join(', ')})` : 'TTFT not run (software adapter default; --tiles runs it)'}, ` +
      `ViT batches ${w.vitBatches.join(' and ')}${w.vitLayers !== undefined ? ` (${w.vitLayers} layers run, scaled to all; embeddings timed once)` : ''}, pp${w.promptTokens}, tg${w.newTokens}; mean ± sd of ${w.reps} after ${w.warmup} warm-up (TTFT: no separate warm-up; pipelines already compiled). Whole run ${(x.wallS / 60).toFixed(1)} min.`,
    '',
    `| figure | unit | ours |${cols.map((d) => ` ${labels[d]} |`).join('')}${cols.map((d) => ` ours / ${labels[d].replace(/^PyTorch /, '')} |`).join('')}`,
    `|---|---|---|${cols.map(() => '---|---|').join('')}`,
    ...r.metrics.map(
      (m) =>
        `| ${m.label}${m.note ? ` (${m.note})` : ''} | ${m.unit === 'bytes' ? 'MiB' : m.unit} | ${cell(m, m.ours)} |` +
        cols.map((d) => ` ${cell(m, d === 'f32' ? m.torch_f32 : m.torch_bf16)} |`).join('') +
        cols.map((d) => ` ${ratioCell(d === 'f32' ? m.ratio_f32 : m.ratio_bf16)} |`).join(''),
    ),
    '',
    `- **Load:** file read ${x.load.readMs.toFixed(0)} ms, GPU upload ${x.load.uploadMs.toFixed(0)} ms, total ${x.load.totalMs.toFixed(0)} ms; pipeline compilation ${x.load.compileMs.toFixed(0)} ms over every graph the bench built (${x.load.compileMsAtLoad.toFixed(0)} ms during load itself: pipelines compile when a graph is first planned).`,
    `- **GPU memory (tracked):** weights ${mib(x.memory.weightsBytes)} + KV cache ${mib(x.memory.kvCacheBytes)} (${x.memory.kvCacheTokens} tokens) + largest plan ${x.memory.largestPlan} ${mib(x.memory.largestPlanSlotBytes)} = **${mib(x.memory.gpuPeakBytes)}**; peak of all tracked buffers ${mib(x.memory.trackedPeakBytes)}; peak RSS ${mib(x.memory.rssPeakBytes)}${x.torch ? ` (PyTorch process ${mib(x.torch.rssPeakBytes)})` : ''}.`,
    `- **Decode step:** host JS ${fmt(x.decode.hostMsPerStep, 2)} ms before the submit (the step was encoded during the previous one's GPU work: ${fmt(x.decode.aheadMsPerStep, 2)} ms), waiting ${fmt(x.decode.waitMsPerStep)} ms, wall ${fmt(x.decode.wallMsPerStep)} ms; GPU ${x.decode.gpuMsPerStep ? `${fmt(x.decode.gpuMsPerStep)} ms (${x.decode.gpuTiming})` : 'n/a (no timestamp-query)'}.`,
    `- **Smart wait** (runtime/wait.ts, on vs off, interleaved): ViT ${fmt(x.smartWait.vitMsPerTileOn, 0)} vs ${fmt(x.smartWait.vitMsPerTileOff, 0)} ms/tile (×${x.smartWait.vitGain ?? '–'}); decode ${fmt(x.smartWait.decodeTokPerSOn, 2)} vs ${fmt(x.smartWait.decodeTokPerSOff, 2)} tok/s (×${x.smartWait.decodeGain ?? '–'}).`,
    '',
  ];
  return lines.join('\n');
}

export const CONDITIONS_MARK = '<!-- bench/model.ts: conditions -->';

export const RESULTS_HEADER = `# Benchmarks
${CONDITIONS_MARK}

\`npm run bench:kernels\` times every kernel; \`npm run bench\` (bench/model.ts) times the whole InternVL2-1B model and
runs the same workloads through the PyTorch reference (tools/reference/modeling.py) in float32 and bfloat16 in the
same run. \`bench/gpu/run.sh\` does the same on an NVIDIA GPU against PyTorch CUDA (bf16, SDPA).

How to read the model tables:
- Each section is one run, dated, with the WebGPU adapter, Node and Dawn (npm \`webgpu\`) versions, the PyTorch
  version, its thread count and BLAS, and the machine's load average. Never compare numbers across adapters.
- **ours / PyTorch** is the ratio of the two means as printed: for ms above 1 means we are slower, for tok/s below
  1 means we are slower. \`bench/ratios.svg\` plots the same ratios as one direction (“× as fast as PyTorch”).
- Prefill and decode follow llama-bench: pp<N> is a prompt of N random tokens, tg<N> is N decode steps after a
  one-token prompt. TTFT is one image with a short question through the chat template: vision + prefill + first
  token, with vision and prefill plans built per request as \`chat()\` does.
- **On lavapipe (CPU) the ratios measure our kernels against what the software adapter can issue**, not a GPU:
  lavapipe JIT-compiles WGSL to 8-lane AVX2 code with a scalar load per lane (see the kernel tables), while PyTorch
  bf16 runs oneDNN AVX-512-BF16 GEMMs on the same two cores. Speed claims belong to the GPU run (bench/gpu/).
- The synthetic full-size checkpoint has InternVL2-1B's exact 637 tensors with random weights: the same cost as
  the real ones.
`;

export async function writeResults(r: BenchResult, dir: string): Promise<{ jsonl: string; md: string; svg: string }> {
  const jsonl = join(dir, 'results.jsonl');
  const md = join(dir, 'RESULTS.md');
  const svg = join(dir, 'ratios.svg');
  await mkdir(dir, { recursive: true });
  await appendFile(jsonl, jsonLines(r).join('\n') + '\n');
  if (!existsSync(md)) await writeFile(md, RESULTS_HEADER);
  else if (!(await readFile(md, 'utf8')).includes(CONDITIONS_MARK)) await appendFile(md, `\n${CONDITIONS_MARK}\n${RESULTS_HEADER.replace(/^# Benchmarks/, '## Model benchmarks (npm run bench)')}`);
  await appendFile(md, `\n${MODEL_MARK}\n${markdownSection(r)}`);
  await writeFile(svg, ratiosSvg(r));
  return { jsonl, md, svg };
}

export const MODEL_MARK = '<!-- bench/model.ts -->';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars on a log scale: how many times as fast as PyTorch f32 / bf16 each figure is (1 = parity). */
export function ratiosSvg(r: BenchResult): string {
  const rows = r.metrics.filter((m) => m.unit !== 'bytes' && !m.name.startsWith('load') && (m.ratio_f32 !== null || m.ratio_bf16 !== null));
  const labels = r.run.torch?.labels ?? { f32: 'PyTorch f32', bf16: 'PyTorch bf16' };
  const series = [
    { key: 'f32' as const, color: '#4c78a8', label: `vs ${labels.f32}` },
    { key: 'bf16' as const, color: '#f58518', label: `vs ${labels.bf16}` },
  ];
  const values = rows.flatMap((m) => series.map((s) => speedup(m, s.key)).filter((v): v is number => v !== null && v > 0));
  const lo = Math.floor(Math.log10(Math.min(0.1, ...values)));
  const hi = Math.ceil(Math.log10(Math.max(10, ...values)));
  const labelW = 330;
  const plotW = 460;
  const barH = 11;
  const rowH = 2 * barH + 10;
  const top = 58;
  const height = top + Math.max(1, rows.length) * rowH + 40;
  const width = labelW + plotW + 30;
  const xOf = (v: number) => labelW + ((Math.log10(v) - lo) / (hi - lo)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">InternVL2-1B: ours ÷ PyTorch speed (log scale; 1 = parity, &lt;1 = slower)</text>`);
  out.push(`<text x="10" y="34" fill="#555">${esc(`${r.run.date.slice(0, 10)} · ${r.run.adapter.slice(0, 70)} · ${r.run.dawn} · ${r.run.torch ? `torch ${r.run.torch.version}, ${r.run.torch.threads} threads` : 'no torch'}`)}</text>`);
  series.forEach((s, i) => {
    out.push(`<rect x="${labelW + i * 230}" y="42" width="10" height="10" fill="${s.color}"/><text x="${labelW + 14 + i * 230}" y="51">${esc(s.label)}</text>`);
  });
  for (let e = lo; e <= hi; e++) {
    const x = xOf(10 ** e);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${height - 34}" stroke="${e === 0 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${height - 20}" text-anchor="middle" fill="#555">${e >= 0 ? 10 ** e : (10 ** e).toFixed(-e)}×</text>`);
  }
  rows.forEach((m, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${labelW - 8}" y="${y + barH + 4}" text-anchor="end">${esc(m.label.length > 52 ? m.label.slice(0, 51) + '…' : m.label)}</text>`);
    series.forEach((s, j) => {
      const v = speedup(m, s.key);
      if (v === null || v <= 0) return;
      const x0 = xOf(1);
      const x1 = xOf(Math.min(Math.max(v, 10 ** lo), 10 ** hi));
      const yy = y + j * (barH + 1);
      out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${yy}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barH}" fill="${s.color}"/>`);
      const tx = v >= 1 ? x1 + 4 : x1 - 4;
      out.push(`<text x="${tx.toFixed(1)}" y="${yy + barH - 2}" font-size="10" text-anchor="${v >= 1 ? 'start' : 'end'}">${v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2)}×</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The last run in a results.jsonl text (its 'run' line and the metric lines after it). */
export function readLastRun(text: string): BenchResult {
  const lines = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string });
  const at = lines.map((l) => l.type).lastIndexOf('run');
  if (at < 0) throw new Error('[bench] no run record in the JSON lines');
  const metrics = lines.slice(at + 1).filter((l) => l.type === 'metric').map((l) => {
    const { type: _t, date: _d, adapter: _a, profile: _p, node: _n, dawn: _w, torch_threads: _th, ...m } = l as unknown as Record<string, unknown>;
    return m as unknown as Metric;
  });
  return { run: lines[at] as unknown as BenchResult['run'], metrics };
}
