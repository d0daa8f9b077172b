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
import { describeProfile } from '../../runtime/device_profile.js';
import { nodeGpu } from '../../tools/node/gpu.js';
import { trackGpuMemory } from './gpu_memory.js';
import { type Log, decodeBench, decodeGraphOf, decodeGpuMs, imagePromptIds, prefillBench, projectorBench, randomTokens, ttftBench, vitBench } from './measure.js';
import { type BenchOptions, SOFTWARE_VIT_LAYERS } from './options.js';
import { type Stats, stats } from './stats.js';
import { type TorchReport, type TorchWorkload, runTorch } from './torch.js';
import { writeFile } from 'node:fs/promises';

export interface Conditions {
  date: string;
  adapter: string;
  /** The device profile and each op's variant (runtime/device_profile.ts describeProfile). */
  profile: string;
  node: string;
  dawn: string;
  timing: string;
  cpus: string;
  loadavg: number[];
  /** Our language model's weights (bf16, or q4/q8 quantized while loading) and KV cache dtype. */
  weights: string;
  kvCache: string;
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
  workload: { tiles: number[]; vitBatches: number[]; vitLayers: number; promptTokens: number; newTokens: number; reps: number; warmup: number; question: string; ttftPromptTokens: Record<string, number> };
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
  decode: { hostMsPerStep: Stats; aheadMsPerStep: Stats; waitMsPerStep: Stats; wallMsPerStep: Stats; gpuMsPerStep: Stats | null; gpuTiming: string };
  vitGroup: number;
  torch: null | TorchInfo;
  wallS: number;
}

export interface TorchInfo {
  version: string;
  threads: number;
  blas: string;
  device: string;
  loadMs: number;
  rssPeakBytes: number;
  dtypes: string[];
  /** Column titles, e.g. "PyTorch f32" or "PyTorch CUDA bf16 (SDPA)". */
  labels: { f32: string; bf16: string };
  loadavg: number[];
}

export function torchInfo(t: TorchReport): TorchInfo {
  const cuda = (t.device ?? 'cpu').startsWith('cuda');
  const suffix = t.attention ? ` (${t.attention})` : '';
  return {
    version: t.torch,
    threads: t.threads,
    blas: t.blas,
    device: t.device ?? 'cpu',
    loadMs: t.load_ms,
    rssPeakBytes: t.maxrss_bytes,
    dtypes: (['f32', 'bf16'] as const).filter((d) => t[d]),
    labels: { f32: `PyTorch${cuda ? ' CUDA' : ''} f32${suffix}`, bf16: `PyTorch${cuda ? ' CUDA' : ''} bf16${suffix}` },
    loadavg: t.loadavg_end,
  };
}

/** The PyTorch samples of the same figure, by metric name. */
function torchSamples(name: string, t: TorchReport, d: 'f32' | 'bf16'): number[] | undefined {
  const r = t[d];
  if (!r) return undefined;
  let k: RegExpMatchArray | null;
  if ((k = name.match(/^vit_ms_per_tile_b(\d+)$/))) return r.vit_ms_per_tile[k[1]!];
  if ((k = name.match(/^ttft_ms_t(\d+)$/))) return r.ttft_ms[k[1]!];
  if (/^pp\d+$/.test(name)) return r.pp_tokens_per_s;
  if (/^tg\d+$/.test(name)) return r.tg_tokens_per_s;
  if (name === 'projector_ms_per_tile') return r.projector_ms_per_tile;
  if (name === 'decode_ms_per_step') return r.decode_ms_per_step;
  // Whole-process figures go in the first dtype's column.
  const first = t.f32 ? 'f32' : 'bf16';
  if (d !== first) return undefined;
  if (name === 'load_ms') return [t.load_ms];
  if (name === 'rss_peak_bytes') return [t.maxrss_bytes];
  if (name === 'gpu_peak_bytes' && t.gpu_peak_bytes) return [t.gpu_peak_bytes];
  return undefined;
}

/** Fill the PyTorch columns and the ratios of `metrics` from a PyTorch report (CPU here or CUDA on a GPU box). */
export function attachTorch(metrics: Metric[], t: TorchReport): void {
  for (const m of metrics) {
    for (const d of ['f32', 'bf16'] as const) {
      const xs = torchSamples(m.name, t, d);
      const s = xs?.length ? stats(xs) : null;
      if (d === 'f32') {
        m.torch_f32 = s;
        m.ratio_f32 = ratio(m.ours, s);
      } else {
        m.torch_bf16 = s;
        m.ratio_bf16 = ratio(m.ours, s);
      }
    }
  }
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
    profile: describeProfile(gpu.profile),
    node: process.version,
    dawn: dawnVersion(),
    timing: gpu.features.timestamps ? 'wall clock; decode GPU step by timestamp-query' : 'wall clock',
    cpus: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
    weights: o.quant ?? 'bf16',
    kvCache: o.kvCache ?? 'f32',
  };
  log(`adapter: ${conditions.adapter}; profile ${conditions.profile}; node ${conditions.node}; ${conditions.dawn}; model ${model}`);

  const m: LoadedModel = await loadModel(gpu, dirFiles(model), o.quant ? { quant: o.quant } : {});
  log(`loaded: read ${m.timings.readMs.toFixed(0)} ms, upload ${m.timings.uploadMs.toFixed(0)} ms, total ${m.timings.totalMs.toFixed(0)} ms; ${(m.weightBytes / 2 ** 20).toFixed(0)} MiB of weights`);
  const compileAfterLoad = pipelineCompileMs(gpu.device);
  const engine: Engine = createEngine(m, o.kvCache ? { kvCache: o.kvCache } : {});

  let largest = { bytes: 0, label: '' };
  const seePlan = (p: Plan, label: string) => {
    if (p.placement.arenaBytes > largest.bytes) largest = { bytes: p.placement.arenaBytes, label };
  };

  const vitLayers = o.vitLayers ?? (gpu.isSoftware ? SOFTWARE_VIT_LAYERS : undefined);
  const tiles = gpu.isSoftware && vitLayers !== undefined && vitLayers < m.config.vision_config.num_hidden_layers && !o.tilesGiven ? [] : o.tiles;
  if (tiles.length < o.tiles.length) log(`software adapter: ViT figures from ${vitLayers} of ${m.config.vision_config.num_hidden_layers} layers (scaled); TTFT skipped (give --tiles to run it: minutes per tile)`);
  const maxTiles = Math.max(1, ...tiles);
  const vitBatches = [...new Set([1, maxTiles])];
  const ttftIds = Object.fromEntries(tiles.map((T) => [String(T), imagePromptIds(m, T, o.question)]));
  const ppIds = randomTokens(m, o.promptTokens, 200 + o.warmup);
  const tgIds = randomTokens(m, 1, 100 + o.warmup);
  const workload: TorchWorkload = {
    tiles,
    vit_batches: vitBatches,
    vit_layers: vitLayers ?? m.config.vision_config.num_hidden_layers,
    ttft_ids: Object.fromEntries(Object.entries(ttftIds).map(([k, v]) => [k, [...v]])),
    pp_ids: [...ppIds],
    tg_prompt_ids: [...tgIds],
    new_tokens: o.newTokens,
    reps: o.reps,
    warmup: o.warmup,
  };
  if (o.workloadOut) await writeFile(o.workloadOut, JSON.stringify(workload));

  // 1. decode (tg) — builds the decode graph and compiles the LLM pipelines in its warm-up.
  const tg = await decodeBench(engine, o.newTokens, o.reps, o.warmup, o.smartWaitCompare, log);
  const decodeGraph = decodeGraphOf(engine);
  if (decodeGraph) seePlan(decodeGraph.plan, 'decode[1]');
  const gpuStep = await decodeGpuMs(engine, Math.max(3, o.reps * 2));
  // 2. prefill (pp)
  const pp = await prefillBench(engine, o.promptTokens, o.reps, o.warmup, log);
  // 3. ViT per tile (batch 1 with smart wait on/off; the biggest batch with it on)
  const vit = new Map<number, Awaited<ReturnType<typeof vitBench>>>();
  for (const B of vitBatches) vit.set(B, await vitBench(m, B, o.reps, o.warmup, o.smartWaitCompare && B === 1, log, (p) => seePlan(p, `vision[${Math.min(B, tilesPerPass(gpu, m))}]`), vitLayers));
  // 4. projector
  const proj = await projectorBench(m, o.reps, o.warmup, log, (p) => seePlan(p, 'projector[1]'));
  // 5. TTFT (pipelines compiled by now; vision + prefill plans rebuilt per request as chat() does)
  const ttft = new Map<number, Awaited<ReturnType<typeof ttftBench>>>();
  for (const T of tiles) ttft.set(T, await ttftBench(engine, T, o.question, o.reps, log));
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
    torch = await runTorch(model, workload, o.torchDtypes, o.torchThreads, log);
  }
  const metric = (name: string, label: string, unit: string, better: Metric['better'], ours: Stats | null, note?: string): Metric => ({
    name,
    label,
    unit,
    better,
    ours,
    torch_f32: null,
    torch_bf16: null,
    ratio_f32: null,
    ratio_bf16: null,
    ...(note && { note }),
  });

  const metrics: Metric[] = [];
  for (const B of vitBatches) {
    const v = vit.get(B)!;
    const notes = [v.passes > 1 ? `${v.passes} passes of ≤${v.group} tiles (binding limit)` : '', v.layersRun < v.layersTotal ? `${v.layersRun} of ${v.layersTotal} layers run, layers scaled ×${v.layersTotal / v.layersRun} (embeddings timed once)` : ''].filter(Boolean);
    metrics.push(metric(`vit_ms_per_tile_b${B}`, `InternViT, batch of ${B} tile${B > 1 ? 's' : ''}`, 'ms/tile', 'lower', stats(v.on), notes.join('; ') || undefined));
  }
  metrics.push(metric('projector_ms_per_tile', 'projector (pixel shuffle + mlp1), 1 tile', 'ms/tile', 'lower', stats(proj)));
  for (const T of tiles) {
    const s = ttft.get(T)!;
    metrics.push(metric(`ttft_ms_t${T}`, `TTFT, 1 image of ${T} tile${T > 1 ? 's' : ''} (${s[0]!.promptTokens}-token prompt)`, 'ms', 'lower', stats(s.map((x) => x.ms))));
  }
  metrics.push(metric(`pp${o.promptTokens}`, `prefill pp${o.promptTokens}`, 'tok/s', 'higher', stats(pp)));
  metrics.push(metric(`tg${o.newTokens}`, `decode tg${o.newTokens}`, 'tok/s', 'higher', stats(tg.on.tokensPerS)));
  metrics.push(metric('decode_ms_per_step', 'decode step, wall', 'ms', 'lower', stats(tg.on.wallMsPerStep)));
  metrics.push(metric('decode_host_ms_per_step', 'decode step, host JS before the submit (prep + writes + submit)', 'ms', 'lower', stats(tg.on.hostMsPerStep)));
  metrics.push(metric('decode_ahead_ms_per_step', 'decode step, host JS encoding the next step (after the submit, during the GPU work)', 'ms', 'lower', stats(tg.on.aheadMsPerStep)));
  metrics.push(metric('decode_dispatches_per_step', 'decode step, dispatches (batch 1, greedy)', 'dispatches', 'lower', decodeGraph ? stats([decodeGraph.plan.dispatchCount]) : null));
  metrics.push(metric('decode_gpu_ms_per_step', `decode step, GPU (${gpuStep ? 'timestamps' : 'wall − host'})`, 'ms', 'lower', gpuStep ? stats(gpuStep.ms) : stats(tg.on.waitMsPerStep)));
  metrics.push(metric('load_ms', 'load (read + upload + prepare)', 'ms', 'lower', stats([m.timings.totalMs]), 'PyTorch: safetensors → tensors'));
  metrics.push(metric('gpu_peak_bytes', 'peak GPU memory (weights + KV + largest plan)', 'bytes', 'lower', stats([memory.gpuPeakBytes]), 'PyTorch CUDA: max_memory_allocated'));
  metrics.push(metric('rss_peak_bytes', 'peak RSS', 'bytes', 'lower', stats([rss]), 'PyTorch: one process for every dtype'));
  if (torch) attachTorch(metrics, torch);

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
      tiles,
      vitBatches,
      vitLayers: vitLayers ?? m.config.vision_config.num_hidden_layers,
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
      aheadMsPerStep: stats(tg.on.aheadMsPerStep),
      waitMsPerStep: stats(tg.on.waitMsPerStep),
      wallMsPerStep: stats(tg.on.wallMsPerStep),
      gpuMsPerStep: gpuStep ? stats(gpuStep.ms) : null,
      gpuTiming: gpuStep ? 'timestamp-query around a replayed decode step' : 'wall − host',
    },
    vitGroup: vit1.group,
    torch: torch ? torchInfo(torch) : null,
    wallS: +((performance.now() - wall0) / 1e3).toFixed(1),
  };
  return { run, metrics };
}
