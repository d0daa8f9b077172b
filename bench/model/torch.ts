// The PyTorch side: writes the workload (the very token ids our side used) to a temp file, runs
// bench/model/torch_bench.py with /usr/bin/python3 (Debian's torch) and returns its JSON report.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TorchWorkload {
  tiles: number[];
  vit_batches: number[];
  /** ViT layers run for the per-tile figures (scaled to all layers), as on our side. */
  vit_layers: number;
  ttft_ids: Record<string, number[]>;
  pp_ids: number[];
  tg_prompt_ids: number[];
  new_tokens: number;
  reps: number;
  warmup: number;
}

export interface TorchDtypeReport {
  vit_ms_per_tile: Record<string, number[]>;
  projector_ms_per_tile: number[];
  ttft_ms: Record<string, number[]>;
  pp_tokens_per_s: number[];
  tg_tokens_per_s: number[];
  decode_ms_per_step: number[];
}

export interface TorchReport {
  torch: string;
  /** 'cpu' (bench/model/torch_bench.py) or 'cuda:<name>' (bench/gpu/torch_cuda_bench.py). */
  device?: string;
  attention?: string;
  gpu_peak_bytes?: number;
  threads: number;
  load_ms: number;
  blas: string;
  maxrss_bytes: number;
  loadavg_start: number[];
  loadavg_end: number[];
  f32?: TorchDtypeReport;
  bf16?: TorchDtypeReport;
}

export const TORCH_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'torch_bench.py');

export function pythonWithTorch(): string {
  return process.env.BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

export async function runTorch(model: string, workload: TorchWorkload, dtypes: string[], threads: number, log: (s: string) => void): Promise<TorchReport> {
  const dir = await mkdtemp(join(tmpdir(), 'internvl-bench-'));
  const file = join(dir, 'workload.json');
  await writeFile(file, JSON.stringify(workload));
  const python = pythonWithTorch();
  try {
    return await new Promise<TorchReport>((resolve, reject) => {
      const p = spawn(python, [TORCH_SCRIPT, '--model', model, '--workload', file, '--dtypes', dtypes.join(','), '--threads', String(threads)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let partial = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d: Buffer) => {
        err += d;
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) log(line.trim());
      });
      p.on('error', (e) => reject(new Error(`[bench] cannot run ${python}: ${e.message}`)));
      p.on('close', (code) => {
        const last = out.trim().split('\n').at(-1) ?? '';
        if (code !== 0 || !last.startsWith('{')) return reject(new Error(`[bench] PyTorch reference failed (exit ${code}):\n${err.slice(-2000)}`));
        resolve((JSON.parse(last) as { torch: TorchReport }).torch);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
