// npm run bench -- [--model DIR] [--tiles 1,7,13] [--prompt-tokens N] [--new-tokens N] [--reps N] [--full]
//                  [--json] [--no-torch]   (bench/model/options.ts: every flag)
// The whole InternVL2-1B model on our runtime and through the PyTorch reference in the same run: load split,
// GPU memory and RSS, ViT per tile, projector, TTFT, pp/tg (llama-bench convention), host vs GPU per decode
// step, smart wait on/off, and the ratios. Appends to bench/results.jsonl and bench/RESULTS.md, rewrites
// bench/ratios.svg. Progress goes to stderr.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './model/options.js';
import { jsonLines, markdownSection, writeResults } from './model/report.js';
import { runBench } from './model/run.js';

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const t0 = performance.now();
const log = (s: string) => console.error(`[bench ${((performance.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${s}`);
const result = await runBench(options, log);
if (options.json) for (const line of jsonLines(result)) console.log(line);
else console.log('\n' + markdownSection(result));
if (options.write) {
  const files = await writeResults(result, options.outDir ?? dirname(fileURLToPath(import.meta.url)));
  log(`appended to ${files.jsonl} and ${files.md}; wrote ${files.svg}`);
}
// Dawn keeps the event loop alive while a device exists.
process.exit(0);
