// The one table bench/gpu/run.sh ends with: kernel correctness on the card (with and without subgroups), every
// kernel variant's time at the real shapes with the variant each profile picks marked, and the model figures of
// both profiles next to PyTorch CUDA. Reads the files the earlier steps wrote; prints Markdown.
//   node summary.mjs --check A.json [B.json …] --kernels K.jsonl --model-gpu G.jsonl --model-cpu C.jsonl [--torch T.json]
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../../runtime/device_profile.js';

const argv = process.argv.slice(2);
const files = (flag: string): string[] => {
  const at = argv.indexOf(flag);
  if (at < 0) return [];
  const out: string[] = [];
  for (let i = at + 1; i < argv.length && !argv[i]!.startsWith('--'); i++) out.push(argv[i]!);
  return out;
};
const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};
const jsonLines = (path: string): Record<string, unknown>[] =>
  (read(path) ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

const out: string[] = [];
out.push('### Kernel correctness on this card (float64 reference, outputs poisoned)', '', '| subgroups | passed | failed | failures |', '|---|---|---|---|');
for (const path of files('--check')) {
  const last = jsonLines(path).at(-1) as { subgroups?: boolean; rows?: { op: string; variant: string; shape: string; ok: boolean; error?: string }[] } | undefined;
  if (!last?.rows) {
    out.push(`| ? | – | – | no result in ${path} |`);
    continue;
  }
  const bad = last.rows.filter((r) => !r.ok);
  out.push(`| ${last.subgroups ? 'on' : 'off'} | ${last.rows.length - bad.length} | ${bad.length} | ${bad.map((r) => `${r.op} ${r.variant} ${r.shape}: ${r.error?.slice(0, 120)}`).join('<br>') || '–'} |`);
}

// Which forced variant name each profile's default corresponds to, per bench op.
const picks = (op: string, profile: 'cpu' | 'gpu'): string[] => {
  const d = DEFAULTS[profile];
  const rows = { rows: ['vec_r8', 'vec_r4', 'vec_r2'], rows_shuffle: ['vec_shuffle_r8', 'vec_shuffle_r4', 'vec_shuffle_r2'] } as Record<string, string[]>;
  if (op === 'linear') return [d.gemm, d.gemv, ...(rows[d.gemv] ?? [])];
  if (op === 'attention') return [d.attention];
  if (op === 'attention_decode') return [d.attention_decode];
  if (op === 'swiglu') return [d.gemv];
  return [];
};
const kernels = files('--kernels').flatMap(jsonLines).filter((r) => r.type === 'kernel');
if (kernels.length) {
  out.push('', '### Kernels (median ms; GFLOP/s, GB/s from the declared cost; ◆ gpu profile picks it, ◇ cpu profile)', '', '| op | case | variant | ms | GFLOP/s | GB/s |', '|---|---|---|---|---|---|');
  for (const r of kernels) {
    const v = String(r.variant);
    const mark = `${picks(String(r.op), 'gpu').includes(v) ? ' ◆' : ''}${picks(String(r.op), 'cpu').includes(v) ? ' ◇' : ''}`;
    out.push(`| ${r.op} | ${r.case} | ${v}${mark} | ${r.ms} | ${r.gflops} | ${r.gbs} |`);
  }
}

const metrics = (path: string | undefined) => new Map(jsonLines(path ?? '').filter((l) => l.type === 'metric').map((l) => [String(l.name), l as { label: string; unit: string; ours: { mean: number } | null }]));
const gpuRun = metrics(files('--model-gpu')[0]);
const cpuRun = metrics(files('--model-cpu')[0]);
const torchPath = files('--torch')[0];
const torch = torchPath ? (JSON.parse((read(torchPath) ?? '{}').trim().split('\n').at(-1) || '{}') as { torch?: { dtypes?: Record<string, Record<string, unknown>> } }).torch : undefined;
if (gpuRun.size || cpuRun.size) {
  out.push('', '### Model (full-size synthetic InternVL2-1B; mean)', '', '| figure | unit | gpu profile | cpu profile |', '|---|---|---|---|');
  for (const [name, m] of gpuRun.size ? gpuRun : cpuRun) {
    const cell = (x?: { ours: { mean: number } | null }) => (x?.ours ? (m.unit === 'bytes' ? `${(x.ours.mean / 2 ** 20).toFixed(0)} MiB` : x.ours.mean.toPrecision(4)) : '–');
    out.push(`| ${m.label} | ${m.unit} | ${cell(gpuRun.get(name))} | ${cell(cpuRun.get(name))} |`);
  }
  if (torch) out.push('', 'PyTorch CUDA figures and ratios for the gpu profile: table.md (bench.mjs --combine).');
}
console.log(out.join('\n'));
