// npx tsx bench/decode_step.ts --model DIR [--steps N] [--prompt-tokens N] [--reps N] [--json]
// The decode step alone, batch 1, greedy (GPU argmax): host JS per step (input prep + writeBuffer + encode +
// submit, the `hostMs` of model/llm_pass.ts decode(); median), of which the plan's writes + submit (`lastHostMs`;
// the step was encoded ahead) and, inside that, Dawn's native queue.submit (timed by wrapping it); the next step's
// encode after the submit, during the GPU's work (`aheadMs`);
// GPU time of one replayed step (timestamp-query if the adapter has it, else wall around the smart wait),
// wall per step, dispatches per step (and per op), decode tokens/s, and the host floor: what the same number of
// no-op dispatches costs to encode and submit through this binding. Progress goes to stderr.
import { execSync } from 'node:child_process';
import { type Engine, createEngine, destroyEngine, newStats } from '../model/generate.js';
import { generate } from '../model/scheduler.js';
import { loadModel } from '../model/load.js';
import { median, timePlan } from '../runtime/profile.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';

execSync('npx tsx tools/embed_shaders.ts', { stdio: 'ignore' });
const argv = process.argv.slice(2);
const value = (flag: string, dflt?: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : dflt);
const dir = value('--model');
if (!dir) {
  console.error('usage: npx tsx bench/decode_step.ts --model DIR [--steps N] [--prompt-tokens N] [--reps N] [--json]');
  process.exit(2);
}
const steps = Number(value('--steps', '24'));
const promptTokens = Number(value('--prompt-tokens', '16'));
const reps = Number(value('--reps', '8'));
const t0 = performance.now();
const log = (s: string) => console.error(`[decode_step ${((performance.now() - t0) / 1e3).toFixed(0).padStart(4)} s] ${s}`);

const gpu = await nodeGpu();
const m = await loadModel(gpu, dirFiles(dir));
log(`loaded ${dir} on ${gpu.adapterName} (${m.config.llm_config.num_hidden_layers} layers)`);
const engine: Engine = createEngine(m, { maxContext: promptTokens + steps + 8, cacheTokens: promptTokens + steps + 8 });
const ids = Uint32Array.from({ length: promptTokens }, (_, i) => 1000 + ((i * 7919) % 20000));

// Warm-up: records the decode graph and compiles its pipelines.
for await (const _ of generate(engine, [{ ids }], { maxNewTokens: 3, eosTokenId: -1 })) void _;
const graph = [...engine.decodeGraphs.values()].find((g) => g.batch === 1)!;
log(`warm-up done; decode graph: ${graph.plan.dispatchCount} dispatches`);

// Time Dawn's native queue.submit (Dawn records the Vulkan command buffer there: cost per dispatch) apart from the JS.
const queue = gpu.device.queue;
const submit = queue.submit.bind(queue);
let lastSubmitMs = 0;
queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
  const s0 = performance.now();
  submit(buffers);
  lastSubmitMs = performance.now() - s0;
};
const stats = newStats();
const submitMs: number[] = [];
const planHostMs: number[] = [];
const wallMs: number[] = [];
let last = performance.now();
let n = 0;
for await (const ev of generate(engine, [{ ids }], { maxNewTokens: steps + 1, eosTokenId: -1 }, stats)) {
  const now = performance.now();
  if (n++ > 0) {
    wallMs.push(now - last);
    planHostMs.push(graph.plan.lastHostMs);
    submitMs.push(lastSubmitMs);
  }
  last = now;
  void ev;
}
const gpuStep = await timePlan(gpu, graph.plan, reps, 1);
const floor = await dispatchFloorMs(gpu.device, graph.plan.dispatchCount, 41);
const perOp = new Map<string, number>();
for (const node of graph.plan.graph.nodes) perOp.set(node.op, (perOp.get(node.op) ?? 0) + node.dispatches.length);
const result = {
  model: dir,
  adapter: gpu.adapterName,
  layers: m.config.llm_config.num_hidden_layers,
  steps: stats.decodeSteps,
  dispatchesPerStep: graph.plan.dispatchCount,
  dispatchesPerOp: Object.fromEntries(perOp),
  hostMsPerStep: median(stats.hostMsPerStep),
  aheadMsPerStep: median(stats.aheadMsPerStep),
  planHostMsPerStep: median(planHostMs),
  submitMsPerStep: median(submitMs),
  gpuMsPerStep: median(gpuStep.ms),
  gpuTiming: gpuStep.method,
  dispatchFloorMs: floor,
  wallMsPerStep: median(wallMs),
  tokensPerSecond: stats.decodeTokens / (stats.decodeMs / 1e3),
};
destroyEngine(engine);
if (argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`decode step, batch 1, ${result.layers} layers, ${result.steps} steps (${result.adapter})`);
  console.log(`  dispatches/step   ${result.dispatchesPerStep}  (${[...perOp].map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`  host ms/step      ${result.hostMsPerStep.toFixed(3)}  (median, before the submit; plan writes + submit ${result.planHostMsPerStep.toFixed(3)}, of which Dawn's queue.submit ${result.submitMsPerStep.toFixed(3)})`);
  console.log(`  encoded ahead     ${result.aheadMsPerStep.toFixed(3)}  (the next step's encode, after the submit, while the GPU works)`);
  console.log(`  host floor        ${floor.toFixed(3)}  (the same number of no-op dispatches, one binding each, encoded + submitted)`);
  console.log(`  GPU ms/step       ${result.gpuMsPerStep.toFixed(1)}  (${result.gpuTiming})`);
  console.log(`  wall ms/step      ${result.wallMsPerStep.toFixed(1)}  (median)`);
  console.log(`  decode tok/s      ${result.tokensPerSecond.toFixed(2)}`);
}
/**
 * What encoding and submitting `count` dispatches costs through this WebGPU binding before any of the step's own
 * work: one no-op pipeline with a single storage binding, `count` dispatches in one pass; median of `reps`.
 */
async function dispatchFloorMs(device: GPUDevice, count: number, reps: number): Promise<number> {
  const code = '@group(0) @binding(0) var<storage, read_write> y: array<u32>;\n@compute @workgroup_size(1) fn main() { if (y[0] == 0xffffffffu) { y[0] = 0u; } }';
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    await device.queue.onSubmittedWorkDone();
    const t = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < count; i++) {
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    ms.push(performance.now() - t);
  }
  buffer.destroy();
  return median(ms);
}

// Dawn keeps the event loop alive while a device exists.
process.exit(0);
