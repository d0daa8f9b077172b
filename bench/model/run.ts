// One whole model benchmark: load (read / upload / compile), memory, ViT per tile, projector, TTFT, pp/tg,
// host vs GPU per decode step, smart wait on/off — then the same workloads through PyTorch, and the ratios.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { type Engine, createEngine, destroyEngine } from '../../model/generate.js';
import { type LoadedModel, loadModel } from '../../model/load.js';
import { tilesPerPass } from '../../model/vision_pass.js';
import { pipelineCompileMs } from '../../runtime/kernel.js';
import type { Plan } from '../../runtime/plan.js';
import { checkpointDir } from '../../test/fixtures.js';
import { dirFiles } from '../../tools/node/dir_files.js';
import { nodeGpu } from '../../tools/node/gpu.js';
import { trackGpuMemory } from './gpu_memory.js';
import { type Log, decodeBench, decodeGraphOf, decodeGpuMs, imagePromptIds, prefillBench, projectorBench, randomTokens, ttftBench, vitBench } from './measure.js';
import type { BenchOptions } from './options.js';
import { type Stats, stats } from './stats.js';
import { type TorchReport, runTorch } from './torch.js';

export interface Conditions {
  date: string;
  adapter: string;
  node: string;
  dawn: string;
  timing: string;
  cpus: string;
  loadavg: number[];
}

export interface Metric {
  name: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  ours: Stats | null;
  torch_f32: Stats | null;
  torch_bf16: Stats | null;
  /** ours / PyTorch, means (for ms: > 1 is slower; for tok/s: < 1 is slower). */
  ratio_f32: number | null;
  ratio_bf16: number | null;
  note?: string;
}

export interface RunRecord extends Conditions {
  type: 'run';
  model: string;
  workload: { tiles: number[]; vitBatches: number[]; promptTokens: number; newTokens: number; reps: number; warmup: number; question: string; ttftPromptTokens: Record<string, number> };
  load: { readMs: number; uploadMs: number; compileMs: number; totalMs: number; compileMsAtLoad: number };
  memory: {
    weightsBytes: number;
    kvCacheBytes: number;
    kvCacheTokens: number;
    largestPlanSlotBytes: number;
    largestPlan: string;
    /** weights + KV cache + largest plan's slots. */
    gpuPeakBytes: number;
    /** Peak of every tracked createBuffer (plans' uniforms, staging, inputs included). */
    trackedPeakBytes: number;
    rssPeakBytes: number;
  };
  smartWait: { vitMsPerTileOn: Stats | null; vitMsPerTileOff: Stats | null; vitGain: number | null; decodeTokPerSOn: Stats | null; decodeTokPerSOff: Stats | null; decodeGain: number | null };
  decode: { hostMsPerStep: Stats; waitMsPerStep: Stats; wallMsPerStep: Stats; gpuMsPerStep: Stats | null; gpuTiming: string };
  vitGroup: number;
  torch: null | { version: string; threads: number; blas: string; loadMs: number; rssPeakBytes: number; dtypes: string[]; loadavg: number[] };
  wallS: number;
}

export interface BenchResult {
  run: RunRecord;
  metrics: Metric[];
}

export function dawnVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve('webgpu/package.json'), 'utf8')) as { version: string };
    return `webgpu@${pkg.version} (dawn.node)`;
  } catch {
    return 'webgpu (dawn.node), version unknown';
  }
}

const ratio = (ours: Stats | null, ref: Stats | null) => (ours && ref && ref.mean > 0 ? +(ours.mean / ref.mean).toPrecision(4) : null);

export async function runBench(o: BenchOptions, log: Log): Promise<BenchResult> {
  const wall0 = performance.now();
  const model = o.model ?? (log('generating the full-size synthetic checkpoint (seed 1) once …'), await checkpointDir('full', 1));
  const gpu = await nodeGpu();
  const tracker = trackGpuMemory(gpu.device);
  const conditions: Conditions = {
    date: new Date().toISOString(),
    adapter: gpu.adapterName,
    node: process.version,
    dawn: dawnVersion(),
    timing: gpu.features.timestamps ? 'wall clock; decode GPU step by timestamp-query' : 'wall clock',
    cpus: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
  };
  log(`adapter: ${conditions.adapter}; node ${conditions.node}; ${conditions.dawn}; model ${model}`);

  const m: LoadedModel = await loadModel(gpu, dirFiles(model));
  log(`loaded: read ${m.timings.readMs.toFixed(0)} ms, upload ${m.timings.uploadMs.toFixed(0)} ms, total ${m.timings.totalMs.toFixed(0)} ms; ${(m.weightBytes / 2 ** 20).toFixed(0)} MiB of weights`);
  const compileAfterLoad = pipelineCompileMs(gpu.device);
  const engine: Engine = createEngine(m);

  let largest = { bytes: 0, label: '' };
  const seePlan = (p: Plan, label: string) => {
    if (p.placement.arenaBytes > largest.bytes) largest = { bytes: p.placement.arenaBytes, label };
  };

  const maxTiles = Math.max(...o.tiles);
  const vitBatches = [...new Set([1, maxTiles])];
  const ttftIds = Object.fromEntries(o.tiles.map((T) => [String(T), imagePromptIds(m, T, o.question)]));
  const ppIds = randomTokens(o.promptTokens, 200 + o.warmup);
  const tgIds = randomTokens(1, 100 + o.warmup);

  // 1. decode (tg) — builds the decode graph and compiles the LLM pipelines in its warm-up.
  const tg = await decodeBench(engine, o.newTokens, o.reps, o.warmup, o.smartWaitCompare, log);
  const decodeGraph = decodeGraphOf(engine);
  if (decodeGraph) seePlan(decodeGraph.plan, 'decode[1]');
  const gpuStep = await decodeGpuMs(engine, Math.max(3, o.reps * 2));
  // 2. prefill (pp)
  const pp = await prefillBench(engine, o.promptTokens, o.reps, o.warmup, log);
  // 3. ViT per tile (batch 1 with smart wait on/off; the biggest batch with it on)
  const vit = new Map<number, Awaited<ReturnType<typeof vitBench>>>();
  for (const B of vitBatches) vit.set(B, await vitBench(m, B, o.reps, o.warmup, o.smartWaitCompare && B === 1, log, (p) => seePlan(p, `vision[${Math.min(B, tilesPerPass(gpu, m))}]`)));
  // 4. projector
  const proj = await projectorBench(m, o.reps, o.warmup, log, (p) => seePlan(p, 'projector[1]'));
  // 5. TTFT (pipelines compiled by now; vision + prefill plans rebuilt per request as chat() does)
  const ttft = new Map<number, Awaited<ReturnType<typeof ttftBench>>>();
  for (const T of o.tiles) ttft.set(T, await ttftBench(engine, T, o.question, o.reps, log));
  const compileMs = pipelineCompileMs(gpu.device);

  const rss = process.resourceUsage().maxRSS * 1024;
  const kv = engine.cache;
  const memory = {
    weightsBytes: m.weightBytes,
    kvCacheBytes: kv.bytes,
    kvCacheTokens: kv.blocks.usage().totalBlocks * kv.blocks.usage().blockSize,
    largestPlanSlotBytes: largest.bytes,
    largestPlan: largest.label,
    gpuPeakBytes: m.weightBytes + kv.bytes + largest.bytes,
    trackedPeakBytes: tracker.peakBytes,
    rssPeakBytes: rss,
  };
  destroyEngine(engine);

  let torch: TorchReport | null = null;
  if (o.torch) {
    log(`PyTorch reference (${o.torchDtypes.join(', ')}, ${o.torchThreads} threads) on the same workloads …`);
    torch = await runTorch(
      model,
      {
        tiles: o.tiles,
        vit_batches: vitBatches,
        ttft_ids: Object.fromEntries(Object.entries(ttftIds).map(([k, v]) => [k, [...v]])),
        pp_ids: [...ppIds],
        tg_prompt_ids: [...tgIds],
        new_tokens: o.newTokens,
        reps: o.reps,
        warmup: o.warmup,
      },
      o.torchDtypes,
      o.torchThreads,
      log,
    );
  }
  const t = (pick: (r: NonNullable<TorchReport['f32']>) => number[] | undefined) => ({
    torch_f32: torch?.f32 && pick(torch.f32)?.length ? stats(pick(torch.f32)!) : null,
    torch_bf16: torch?.bf16 && pick(torch.bf16)?.length ? stats(pick(torch.bf16)!) : null,
  });
  const metric = (name: string, label: string, unit: string, better: Metric['better'], ours: Stats | null, ref: { torch_f32: Stats | null; torch_bf16: Stats | null }, note?: string): Metric => ({
    name,
    label,
    unit,
    better,
    ours,
    ...ref,
    ratio_f32: ratio(ours, ref.torch_f32),
    ratio_bf16: ratio(ours, ref.torch_bf16),
    ...(note && { note }),
  });

  const metrics: Metric[] = [];
  for (const B of vitBatches) {
    const v = vit.get(B)!;
    metrics.push(metric(`vit_ms_per_tile_b${B}`, `InternViT, batch of ${B} tile${B > 1 ? 's' : ''}`, 'ms/tile', 'lower', stats(v.on), t((r) => r.vit_ms_per_tile[String(B)]), v.passes > 1 ? `${v.passes} passes of ≤${v.group} tiles (binding limit)` : undefined));
  }
  metrics.push(metric('projector_ms_per_tile', 'projector (pixel shuffle + mlp1), 1 tile', 'ms/tile', 'lower', stats(proj), t((r) => r.projector_ms_per_tile)));
  for (const T of o.tiles) {
    const s = ttft.get(T)!;
    metrics.push(metric(`ttft_ms_t${T}`, `TTFT, 1 image of ${T} tile${T > 1 ? 's' : ''} (${s[0]!.promptTokens}-token prompt)`, 'ms', 'lower', stats(s.map((x) => x.ms)), t((r) => r.ttft_ms[String(T)])));
  }
  metrics.push(metric(`pp${o.promptTokens}`, `prefill pp${o.promptTokens}`, 'tok/s', 'higher', stats(pp), t((r) => r.pp_tokens_per_s)));
  metrics.push(metric(`tg${o.newTokens}`, `decode tg${o.newTokens}`, 'tok/s', 'higher', stats(tg.on.tokensPerS), t((r) => r.tg_tokens_per_s)));
  metrics.push(metric('decode_ms_per_step', 'decode step, wall', 'ms', 'lower', stats(tg.on.wallMsPerStep), t((r) => r.decode_ms_per_step)));
  metrics.push(metric('decode_host_ms_per_step', 'decode step, host JS (prep + encode + submit)', 'ms', 'lower', stats(tg.on.hostMsPerStep), { torch_f32: null, torch_bf16: null }));
  metrics.push(metric('decode_gpu_ms_per_step', `decode step, GPU (${gpuStep ? 'timestamps' : 'wall − host'})`, 'ms', 'lower', gpuStep ? stats(gpuStep.ms) : stats(tg.on.waitMsPerStep), { torch_f32: null, torch_bf16: null }));
  metrics.push(metric('load_ms', 'load (read + upload + prepare)', 'ms', 'lower', stats([m.timings.totalMs]), torch ? { torch_f32: stats([torch.load_ms]), torch_bf16: null } : { torch_f32: null, torch_bf16: null }, 'PyTorch: safetensors → float32 tensors'));
  metrics.push(metric('rss_peak_bytes', 'peak RSS', 'bytes', 'lower', stats([rss]), torch ? { torch_f32: stats([torch.maxrss_bytes]), torch_bf16: null } : { torch_f32: null, torch_bf16: null }, 'PyTorch: one process running f32 then bf16'));

  const gain = (on: number[], off: number[], better: 'lower' | 'higher') => {
    if (!on.length || !off.length) return null;
    const a = stats(on).mean;
    const b = stats(off).mean;
    return +(better === 'lower' ? b / a : a / b).toPrecision(4);
  };
  const vit1 = vit.get(1)!;
  const run: RunRecord = {
    type: 'run',
    ...conditions,
    model,
    workload: {
      tiles: o.tiles,
      vitBatches,
      promptTokens: o.promptTokens,
      newTokens: o.newTokens,
      reps: o.reps,
      warmup: o.warmup,
      question: o.question,
      ttftPromptTokens: Object.fromEntries(Object.entries(ttftIds).map(([k, v]) => [k, v.length])),
    },
    load: { readMs: m.timings.readMs, uploadMs: m.timings.uploadMs, compileMs, totalMs: m.timings.totalMs, compileMsAtLoad: compileAfterLoad },
    memory,
    smartWait: {
      vitMsPerTileOn: vit1.on.length ? stats(vit1.on) : null,
      vitMsPerTileOff: vit1.off.length ? stats(vit1.off) : null,
      vitGain: gain(vit1.on, vit1.off, 'lower'),
      decodeTokPerSOn: tg.on.tokensPerS.length ? stats(tg.on.tokensPerS) : null,
      decodeTokPerSOff: tg.off.length ? stats(tg.off) : null,
      decodeGain: gain(tg.on.tokensPerS, tg.off, 'higher'),
    },
    decode: {
      hostMsPerStep: stats(tg.on.hostMsPerStep),
      waitMsPerStep: stats(tg.on.waitMsPerStep),
      wallMsPerStep: stats(tg.on.wallMsPerStep),
      gpuMsPerStep: gpuStep ? stats(gpuStep.ms) : null,
      gpuTiming: gpuStep ? 'timestamp-query around a replayed decode step' : 'wall − host',
    },
    vitGroup: vit1.group,
    torch: torch
      ? { version: torch.torch, threads: torch.threads, blas: torch.blas, loadMs: torch.load_ms, rssPeakBytes: torch.maxrss_bytes, dtypes: o.torchDtypes, loadavg: torch.loadavg_end }
      : null,
    wallS: +((performance.now() - wall0) / 1e3).toFixed(1),
  };
  return { run, metrics };
}
