// npm run bench -- [--model DIR] [--tiles 1,7,13] [--prompt-tokens N] [--new-tokens N] [--reps N] [--full]
//                  [--json] [--no-torch]   (bench/model/options.ts: every flag)
// The whole InternVL2-1B model on our runtime and through the PyTorch reference in the same run: load split,
// GPU memory and RSS, ViT per tile, projector, TTFT, pp/tg (llama-bench convention), host vs GPU per decode
// step, smart wait on/off, and the ratios. Appends to bench/results.jsonl and bench/RESULTS.md, rewrites
// bench/ratios.svg. Progress goes to stderr.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './model/options.js';
import { readFile } from 'node:fs/promises';
import { jsonLines, markdownSection, readLastRun, writeResults } from './model/report.js';
import { attachTorch, runBench, torchInfo } from './model/run.js';
import type { TorchReport } from './model/torch.js';

const t0 = performance.now();
const log = (s: string) => console.error(`[bench ${((performance.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${s}`);
const argv = process.argv.slice(2);

// --combine OURS.jsonl --torch-report TORCH.json [--out-dir DIR] [--json]: our figures from an earlier
// `--json` run + a PyTorch report (bench/gpu/torch_cuda_bench.py) → one table (bench/gpu/run.sh).
const combineAt = argv.indexOf('--combine');
if (combineAt >= 0) {
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const torchFile = value('--torch-report');
  const result = readLastRun(await readFile(argv[combineAt + 1]!, 'utf8'));
  if (torchFile) {
    const torch = (JSON.parse((await readFile(torchFile, 'utf8')).trim().split('\n').at(-1)!) as { torch: TorchReport }).torch;
    result.metrics = result.metrics.filter((m) => m.name !== 'rss_peak_bytes' || !torch.device?.startsWith('cuda'));
    attachTorch(result.metrics, torch);
    result.run.torch = torchInfo(torch);
  }
  if (argv.includes('--json')) for (const line of jsonLines(result)) console.log(line);
  else console.log(markdownSection(result));
  const outDir = value('--out-dir');
  if (outDir) await writeResults(result, outDir);
  process.exit(0);
}

let options;
try {
  options = parseArgs(argv);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const result = await runBench(options, log);
if (options.json) for (const line of jsonLines(result)) console.log(line);
else console.log('\n' + markdownSection(result));
if (options.write) {
  const files = await writeResults(result, options.outDir ?? dirname(fileURLToPath(import.meta.url)));
  log(`appended to ${files.jsonl} and ${files.md}; wrote ${files.svg}`);
}
// Dawn keeps the event loop alive while a device exists.
process.exit(0);
