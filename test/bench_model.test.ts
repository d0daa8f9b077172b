// The model benchmark's code path (bench/model.ts) on the tiny checkpoint with minimal repetitions and no
// PyTorch: every field of the JSON result is present, the Markdown/JSONL/SVG outputs are written.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseArgs } from '../bench/model/options.js';
import { jsonLines, ratiosSvg, speedup, writeResults } from '../bench/model/report.js';
import { type Metric, runBench } from '../bench/model/run.js';
import { tinyCheckpointDir } from './fixtures.js';

const STATS = ['mean', 'sd', 'n', 'min', 'max'];

describe('npm run bench (model)', () => {
  it('parses flags with lavapipe-sized defaults', () => {
    expect(parseArgs([])).toMatchObject({ tiles: [1], promptTokens: DEFAULTS.promptTokens, newTokens: DEFAULTS.newTokens, torch: true });
    expect(parseArgs(['--tiles', '13,1,7', '--prompt-tokens', '512', '--new-tokens', '128', '--reps', '3', '--json', '--no-torch'])).toMatchObject({
      tiles: [1, 7, 13], promptTokens: 512, newTokens: 128, reps: 3, json: true, torch: false,
    });
    expect(parseArgs(['--full'])).toMatchObject({ tiles: [1, 7, 13], promptTokens: 512, newTokens: 128 });
    expect(() => parseArgs(['--tiles', '0'])).toThrow(/--tiles/);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option/);
  });

  it('runs every workload on the tiny checkpoint and reports every field', async () => {
    const model = await tinyCheckpointDir();
    const options = { ...parseArgs(['--model', model, '--tiles', '1', '--prompt-tokens', '8', '--new-tokens', '3', '--reps', '1', '--no-torch']) };
    const result = await runBench(options, () => {});
    const { run, metrics } = result;

    for (const key of ['date', 'adapter', 'node', 'dawn', 'timing', 'cpus', 'loadavg', 'model', 'workload', 'load', 'memory', 'smartWait', 'decode', 'vitGroup', 'torch', 'wallS']) {
      expect(run, key).toHaveProperty(key);
    }
    expect(run.adapter.length).toBeGreaterThan(0);
    expect(run.dawn).toMatch(/webgpu@/);
    expect(run.node).toBe(process.version);
    for (const k of ['readMs', 'uploadMs', 'compileMs', 'totalMs']) expect(run.load[k as keyof typeof run.load]).toBeGreaterThanOrEqual(0);
    expect(run.load.compileMs).toBeGreaterThan(0);
    expect(run.memory.weightsBytes).toBeGreaterThan(0);
    expect(run.memory.kvCacheBytes).toBeGreaterThan(0);
    expect(run.memory.largestPlanSlotBytes).toBeGreaterThan(0);
    expect(run.memory.gpuPeakBytes).toBe(run.memory.weightsBytes + run.memory.kvCacheBytes + run.memory.largestPlanSlotBytes);
    expect(run.memory.trackedPeakBytes).toBeGreaterThanOrEqual(run.memory.weightsBytes);
    expect(run.memory.rssPeakBytes).toBeGreaterThan(0);
    for (const s of [run.smartWait.vitMsPerTileOn, run.smartWait.vitMsPerTileOff, run.smartWait.decodeTokPerSOn, run.smartWait.decodeTokPerSOff]) {
      expect(Object.keys(s ?? {})).toEqual(STATS);
    }
    expect(run.smartWait.vitGain).toBeGreaterThan(0);
    expect(run.smartWait.decodeGain).toBeGreaterThan(0);
    expect(run.decode.hostMsPerStep.mean).toBeGreaterThan(0);
    expect(run.torch).toBeNull();

    const names = metrics.map((m) => m.name);
    expect(names).toEqual(['vit_ms_per_tile_b1', 'projector_ms_per_tile', 'ttft_ms_t1', 'pp8', 'tg3', 'decode_ms_per_step', 'decode_host_ms_per_step', 'decode_ahead_ms_per_step', 'decode_dispatches_per_step', 'decode_gpu_ms_per_step', 'load_ms', 'gpu_peak_bytes', 'rss_peak_bytes']);
    expect(run.workload.tiles).toEqual([1]);
    expect(run.workload.vitLayers).toBeGreaterThan(0);
    for (const m of metrics) {
      for (const key of ['name', 'label', 'unit', 'better', 'ours', 'torch_f32', 'torch_bf16', 'ratio_f32', 'ratio_bf16']) expect(m, `${m.name}.${key}`).toHaveProperty(key);
      expect(Object.keys(m.ours!)).toEqual(STATS);
      expect(m.ours!.mean, m.name).toBeGreaterThan(0);
      expect(m.torch_f32).toBeNull();
    }

    const lines = jsonLines(result).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]!.type).toBe('run');
    for (const l of lines) for (const k of ['adapter', 'profile', 'node', 'dawn', 'date']) expect(l[k], k).toBeTruthy();
    // the decode graph of the tiny model: embedding, 2 layers of 5 (qkv, attention, o_proj, swiglu, down), lm_head in
    // its row chunks, argmax (2)
    const dispatches = metrics.find((m) => m.name === 'decode_dispatches_per_step')!.ours!.mean;
    expect(dispatches).toBeLessThanOrEqual(1 + 2 * 5 + 3 + 2 + 2);

    const dir = await mkdtemp(join(tmpdir(), 'bench-model-'));
    try {
      const files = await writeResults(result, dir);
      expect((await readFile(files.jsonl, 'utf8')).trim().split('\n')).toHaveLength(lines.length);
      const md = await readFile(files.md, 'utf8');
      expect(md).toMatch(/^# Benchmarks/);
      expect(md).toContain('| InternViT, batch of 1 tile |');
      expect(await readFile(files.svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('draws ratios in one direction (× as fast as PyTorch)', () => {
    const s = (mean: number) => ({ mean, sd: 0, n: 1, min: mean, max: mean });
    const slowMs: Metric = { name: 'a', label: 'a', unit: 'ms', better: 'lower', ours: s(200), torch_f32: s(100), torch_bf16: s(50), ratio_f32: 2, ratio_bf16: 4 };
    const fastRate: Metric = { name: 'b', label: 'b', unit: 'tok/s', better: 'higher', ours: s(30), torch_f32: s(10), torch_bf16: null, ratio_f32: 3, ratio_bf16: null };
    expect(speedup(slowMs, 'f32')).toBe(0.5);
    expect(speedup(fastRate, 'f32')).toBe(3);
    expect(speedup(fastRate, 'bf16')).toBeNull();
    const run = { date: '2026-01-01T00:00:00Z', adapter: 'test <adapter>', dawn: 'webgpu@x', torch: null } as never;
    const svg = ratiosSvg({ run, metrics: [slowMs, fastRate] });
    expect(svg).toContain('&lt;adapter&gt;');
    expect(svg.match(/<rect /g)!.length).toBeGreaterThanOrEqual(5);
  });

  it.skipIf(existsSync('/dev/nvidia0'))('bench/gpu/run.sh says clearly that there is no NVIDIA GPU', () => {
    const r = spawnSync('bash', ['bench/gpu/run.sh'], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
    if (r.stderr.includes('GPU:')) return; // an nvidia-smi on PATH that lists a GPU: not this machine's case
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no NVIDIA GPU/);
  });
});
