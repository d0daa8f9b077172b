// npm run bench:quant -- [--model DIR] [--new-tokens 32] [--prompt-tokens 128] [--reps 3]
//                        [--quality-steps 64] [--no-quality] [--write]
// bf16 against q8 and q4 (runtime/quant.ts) in one process, on the same checkpoint (default: the full-size synthetic
// one): load time (q4 both quantized while loading and from a saved `internvl quantize` checkpoint), GPU weight bytes,
// peak tracked GPU memory for one image + a 4k context (weights, a KV cache of 4096 tokens, the 1-tile vision plan,
// the decode and prefill plans), with the KV cache in f32 and (q4) in f16, and q4 with the q8 vision tower; decode
// tg<N> and prefill pp<P> tok/s with the variants in turn within each rep, reported as the ratio to bf16 taken rep by
// rep (median and range), and decode's worker CPU ms per token. Quality comes from
// the PyTorch reference (tools/reference/quant_quality.py: last-position logits error, teacher-forced top-1
// agreement). --write appends the tables to bench/RESULTS.md.
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Engine, type EngineOptions, createEngine, destroyEngine } from '../model/generate.js';
import { type LoadedModel, type LoadOptions, loadModel, readTokenizer } from '../model/load.js';
import { describeProfile } from '../runtime/device_profile.js';
import { median } from '../runtime/profile.js';
import { parseConfig } from '../loader/config.js';
import { chatPrompt } from '../model/conversation.js';
import { conversationTemplate } from '../model/templates.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { quantizeCheckpoint } from '../tools/node/quantize_checkpoint.js';
import { PYTHON } from '../tools/parity/reference.js';
import { checkpointDir } from '../test/fixtures.js';
import { workerCpuMs } from './cpu_time.js';
import { trackGpuMemory } from './model/gpu_memory.js';
import { buildVisionPlan, decodeRun, prefillBench } from './model/measure.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const newTokens = Number(flag('--new-tokens') ?? 32);
const promptTokens = Number(flag('--prompt-tokens') ?? 128);
const reps = Number(flag('--reps') ?? 3);
const qualitySteps = Number(flag('--quality-steps') ?? 64);
const log = (m: string) => console.error(`[bench:quant] ${m}`);

const gpu = await nodeGpu();
const tracker = trackGpuMemory(gpu.device);
const modelDir = flag('--model') ?? (log('the full-size synthetic checkpoint (seed 1) …'), await checkpointDir('full', 1));
const work = await mkdtemp(join(tmpdir(), 'bench-quant-'));
const saved = join(work, 'q4');
let t0 = performance.now();
await quantizeCheckpoint(dirFiles(modelDir), 'q4', saved);
const quantizeMs = performance.now() - t0;
log(`internvl quantize q4: ${quantizeMs.toFixed(0)} ms`);

interface Variant {
  readonly label: string;
  readonly dir: string;
  readonly options: LoadOptions;
  readonly kvCache: NonNullable<EngineOptions['kvCache']>;
  readonly load: number[];
  weightBytes?: number;
  peakBytes?: number;
  readonly decode: number[];
  readonly prefill: number[];
  /** Worker-thread CPU ms per decoded token, per rep. */
  readonly decodeCpuMs: number[];
}
const variant = (label: string, dir: string, options: LoadOptions, kvCache: Variant['kvCache'] = 'f32'): Variant => ({ label, dir, options, kvCache, load: [], decode: [], prefill: [], decodeCpuMs: [] });
const variants = [
  variant('bf16', modelDir, {}),
  variant('q8', modelDir, { quant: 'q8' }),
  variant('q4', modelDir, { quant: 'q4' }),
  variant('q4 (saved)', saved, {}),
  variant('q4 (saved), f16 KV', saved, {}, 'f16'),
  variant('bf16, f16 KV', modelDir, {}, 'f16'),
  variant('q4 + q8 vision, f16 KV', modelDir, { quant: 'q4', visionQuant: 'q8' }, 'f16'),
];

// One model at a time, the variants in turn within each rep. Resident together they were not comparable on the
// development VM: with all seven loaded and run in rounds (bench/RESULTS.md, 16:23 on 2 December), bf16 fell to
// 2.2–3.1 tok/s in later rounds while the quantized models held 6–7, i.e. the bench measured the idle models' memory
// more than their kernels. Memory, in the first rep: the tracked peak while the model holds its weights and a KV
// cache of 4096 tokens (one sequence of the 4k context; the engine's default reserves twice that for batch chat) and
// runs what one image + prompt runs in turn — the 1-tile vision plan (with the projector), a prefill, decoding.
// Ratios to bf16 are taken within each rep (the VM's speed drifts by tens of percent over minutes) and reported as
// their median and range, beside the CPU time per decoded token of the worker threads (bench/cpu_time.ts; lavapipe's
// rasteriser threads), which steal from other tenants inflates less than it does wall time.
for (let r = 0; r < reps; r++) {
  for (const v of variants) {
    const before = tracker.liveBytes;
    tracker.resetPeak();
    const m: LoadedModel = await loadModel(gpu, dirFiles(v.dir), v.options);
    v.load.push(m.timings.totalMs);
    v.weightBytes = m.weightBytes;
    const engine: Engine = createEngine(m, { maxContext: 4096, cacheTokens: 4096, kvCache: v.kvCache });
    if (r === 0) buildVisionPlan(m, 1, true).destroy();
    await decodeRun(engine, 4, 1); // warm-up: compiles the decode pipelines
    v.prefill.push(...(await prefillBench(engine, promptTokens, 1, 1, () => {})));
    const cpu0 = workerCpuMs();
    const { rate, stats } = await decodeRun(engine, newTokens, 100 + r);
    const cpu1 = workerCpuMs();
    v.decode.push(rate);
    if (cpu0 !== undefined && cpu1 !== undefined) v.decodeCpuMs.push((cpu1 - cpu0) / stats.decodeTokens);
    if (r === 0) v.peakBytes = tracker.peakBytes - before;
    destroyEngine(engine);
    m.destroy();
    log(`rep ${r + 1} ${v.label}: load ${v.load.at(-1)!.toFixed(0)} ms, tg${newTokens} ${rate.toFixed(2)} tok/s, pp${promptTokens} ${v.prefill.at(-1)!.toFixed(1)} tok/s${r === 0 ? `, peak ${(v.peakBytes! / 2 ** 20).toFixed(0)} MiB` : ''}`);
  }
}

let quality: { steps: number; formats: Record<string, { logits_rel_err: number; logits_max_abs: number; top1: number }> } | undefined;
if (!argv.includes('--no-quality')) {
  log(`quality in the PyTorch reference (${qualitySteps} greedy steps) …`);
  const ids = join(work, 'ids.json');
  const files = dirFiles(modelDir);
  const tokenizer = await readTokenizer(files);
  const template = conversationTemplate(parseConfig((await files.readText('config.json'))!).template);
  const prompt = [...tokenizer.encodePrompt(chatPrompt({ template, question: 'Tell me a story about a lighthouse keeper.' }).prompt)];
  await writeFile(ids, JSON.stringify(prompt));
  const { stdout } = await promisify(execFile)(PYTHON, [join(import.meta.dirname, '..', 'tools', 'reference', 'quant_quality.py'), '--model', modelDir, '--ids', ids, '--steps', String(qualitySteps)], { maxBuffer: 16 << 20 });
  quality = JSON.parse(stdout.trim().split('\n').at(-1)!);
}
await rm(work, { recursive: true, force: true });

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const fmt = (xs: number[], d = 2) => `${mean(xs).toFixed(d)} ± ${sd(xs).toFixed(d)}`;
/** Ratios to bf16 rep by rep ("× as fast"; for CPU ms, bf16's over the variant's): median [min – max]. */
const perRep = (xs: number[], base: number[], invert = false) => {
  if (xs.length === 0 || xs.length !== base.length) return '–';
  const r = xs.map((x, i) => (invert ? base[i]! / x : x / base[i]!));
  return `${median(r).toFixed(2)} [${Math.min(...r).toFixed(2)} – ${Math.max(...r).toFixed(2)}]`;
};
const base = variants[0]!;
const lines = [
  `## Quantized weights — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${gpu.adapterName}`,
  '',
  `Profile: ${describeProfile(gpu.profile)}. Model: \`${modelDir}\`. \`npm run bench:quant\`: one model loaded at a time, the variants in turn within each of ${reps} rep${reps > 1 ? 's' : ''}; per rep a load, a decode warm-up, a prefill warm-up and pp${promptTokens}, then tg${newTokens}; mean ± sd, and × bf16 as the median [range] of the ratios taken within each rep. Decode CPU: CPU ms per token of every thread but the main one (bench/cpu_time.ts; on a software adapter, its rasteriser threads), bf16's over the variant's. Peak memory: tracked GPU buffers (first rep) while the model holds its weights and a KV cache of 4096 tokens (one 4k-context sequence) and runs, in turn, the 1-tile vision plan with the projector, the prefill and decoding. \`internvl quantize\` (q4) took ${quantizeMs.toFixed(0)} ms.`,
  '',
  '| weights, KV cache | load ms | weights MiB | peak GPU MiB (GB) (1 image + 4k context) | decode tok/s | × bf16 | decode CPU ms/token | × bf16 | prefill tok/s | × bf16 |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...variants.map((v) => `| ${v.label} | ${fmt(v.load, 0)} | ${(v.weightBytes! / 2 ** 20).toFixed(0)} | ${(v.peakBytes! / 2 ** 20).toFixed(0)} (${(v.peakBytes! / 1e9).toFixed(2)}) | ${fmt(v.decode)} | ${perRep(v.decode, base.decode)} | ${v.decodeCpuMs.length ? fmt(v.decodeCpuMs, 1) : '–'} | ${perRep(v.decodeCpuMs, base.decodeCpuMs, true)} | ${fmt(v.prefill, 1)} | ${perRep(v.prefill, base.prefill)} |`),
];
if (quality) {
  lines.push('', `Quality (PyTorch f32 reference on the same checkpoint, tools/reference/quant_quality.py): the bf16 model's last-prompt-position logits against the quantized model's, and top-1 agreement over ${quality.steps} teacher-forced greedy positions.`, '', '| weights | logits ‖Δ‖/‖l‖ | logits max \\|Δ\\| | top-1 agreement |', '|---|---|---|---|');
  for (const [f, q] of Object.entries(quality.formats)) lines.push(`| ${f} | ${q.logits_rel_err.toExponential(2)} | ${q.logits_max_abs.toExponential(2)} | ${(100 * q.top1).toFixed(1)} % |`);
}
const report = lines.join('\n');
console.log(report);
if (argv.includes('--write')) await appendFile(join(import.meta.dirname, 'RESULTS.md'), `\n${report}\n`);
