// npm run bench:kernels [-- --json] [--filter <substring>] [--reps <n>]
// Every registered case at the real shapes: warm-up, reps, median ms (GPU timestamps when the adapter has
// timestamp-query, wall clock around the smart wait otherwise), GFLOP/s and GB/s from the op's declared cost.
// Prints the adapter and its measured copyBufferToBuffer bandwidth first: numbers from different adapters
// must never be compared.
import { describeProfile } from '../runtime/device_profile.js';
import { Graph } from '../runtime/graph.js';
import { compilePlan } from '../runtime/plan.js';
import { copyBandwidth, createTimer, median } from '../runtime/profile.js';
import type { Tensor } from '../runtime/tensor.js';
import { setSmartWait } from '../runtime/wait.js';
import { nodeGpu } from '../tools/node/gpu.js';
import type { BenchCase, BenchContext } from './case.js';
import { createTensor } from './case.js';
import { workerCpuMs } from './cpu_time.js';
import { linearCases } from './kernels/linear.js';
import { elementwiseCases } from './kernels/elementwise.js';
import { sampleCases } from './kernels/sample.js';
import { attentionCases } from './kernels/attention.js';
import { fusedCases } from './kernels/fused.js';

// The registry: one line per op file in bench/kernels/.
const CASES: BenchCase[] = [
  ...linearCases,
  ...elementwiseCases,
  ...sampleCases,
  ...attentionCases,
  ...fusedCases,
];

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const filter = flag('--filter');
const reps = Number(flag('--reps') ?? 5);

const gpu = await nodeGpu();
const copyCpu0 = workerCpuMs();
const copyGBs = (await copyBandwidth(gpu)) / 1e9;
const copyCpu1 = workerCpuMs();
// copyBandwidth runs 6 copies of 256 MiB (1 warm-up + 5): bytes per worker-CPU-second, comparable under load
const copyGBsPerCpuS = copyCpu0 !== undefined && copyCpu1 !== undefined && copyCpu1 > copyCpu0 ? (6 * 256 * 2 ** 20) / (copyCpu1 - copyCpu0) / 1e6 : undefined;
const header = { adapter: gpu.adapterName, profile: describeProfile(gpu.profile), copyGBs: +copyGBs.toFixed(2), copyGBsPerCpuS: copyGBsPerCpuS && +copyGBsPerCpuS.toFixed(2), timing: gpu.features.timestamps ? 'timestamp' : 'wall' };
if (json) console.log(JSON.stringify({ type: 'adapter', ...header }));
else {
  console.log(`adapter: ${header.adapter}\nprofile: ${header.profile} ('default' rows run these)\ncopyBufferToBuffer 256 MiB: ${header.copyGBs} GB/s (${header.copyGBsPerCpuS ?? '–'} GB per worker-CPU-s); timing: ${header.timing}; median of ${reps}\n`);
  console.log('| op | case | variant | wait | median ms (min–max) | GFLOP/s | GB/s | % copy bw | worker cpu-ms | GFLOP/cpu-s | GB/cpu-s |\n|---|---|---|---|---|---|---|---|---|---|---|');
}

// Plans are built first and timed round-robin (one rep of every case per round), so a drift in machine load
// (the 2-core box is shared) hits every case alike instead of whichever ran last.
const runs = [];
for (const c of CASES) {
  const label = `${c.op} ${c.name} ${c.variant ?? ''}`;
  if (filter && !label.includes(filter)) continue;
  const owned: Tensor[] = [];
  const ctx: BenchContext = {
    gpu,
    tensor: (name, shape, dtype = 'f32') => {
      const t = createTensor(gpu, name, shape, dtype, 'weight');
      owned.push(t);
      return t;
    },
  };
  const g = new Graph(gpu.limits, gpu.profile);
  const outputs = c.build(g, ctx);
  gpu.device.pushErrorScope('validation');
  const plan = compilePlan(gpu, g, { keep: outputs, label: c.name });
  const invalid = await gpu.device.popErrorScope();
  if (invalid) throw new Error(`[bench] ${label}: ${invalid.message}`);
  const timer = createTimer(gpu, plan.wait);
  const cpu: number[] = [];
  const time = async () => {
    setSmartWait(c.smartWait ?? true);
    const c0 = workerCpuMs();
    const t = await timer.time(() => plan.submit());
    const c1 = workerCpuMs();
    if (c0 !== undefined && c1 !== undefined) cpu.push(c1 - c0);
    setSmartWait(true);
    return t;
  };
  for (let i = 0; i < 2; i++) await time(); // warm-up: pipeline first use, wait-time estimate
  cpu.length = 0;
  runs.push({ c, g, plan, timer, owned, time, cpu, ms: [] as number[] });
}
for (let rep = 0; rep < reps; rep++) for (const r of runs) r.ms.push(await r.time());

for (const { c, g, plan, timer, owned, ms, cpu } of runs) {
  plan.destroy();
  timer.destroy();
  for (const t of owned) t.storage!.buffer.destroy();
  const t = median(ms);
  const flops = g.nodes.reduce((n, node) => n + node.cost.flops, 0);
  const bytes = g.nodes.reduce((n, node) => n + node.cost.bytes, 0);
  const row = {
    type: 'kernel', op: c.op, case: c.name, variant: c.variant ?? '', smartWait: c.smartWait ?? true, method: timer.method,
    ms: +t.toFixed(3), min: +Math.min(...ms).toFixed(3), max: +Math.max(...ms).toFixed(3),
    cpuMs: cpu.length ? median(cpu) : null,
    gbsPerCpuS: cpu.length && median(cpu) > 0 ? +(bytes / median(cpu) / 1e6).toFixed(2) : null, gflopsPerCpuS: cpu.length && median(cpu) > 0 ? +(flops / median(cpu) / 1e6).toFixed(2) : null,
    gflops: +(flops / t / 1e6).toFixed(2), gbs: +(bytes / t / 1e6).toFixed(2), pctCopy: +((100 * bytes) / t / 1e6 / copyGBs).toFixed(1), adapter: gpu.adapterName,
  };
  if (json) console.log(JSON.stringify(row));
  else console.log(`| ${row.op} | ${row.case} | ${row.variant} | ${row.smartWait ? 'smart' : 'naive'} | ${row.ms} (${row.min}–${row.max}) | ${row.gflops} | ${row.gbs} | ${row.pctCopy} | ${row.cpuMs ?? '–'} | ${row.gflopsPerCpuS ?? '–'} | ${row.gbsPerCpuS ?? '–'} |`);
}
process.exit(0);
