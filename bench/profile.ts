// npx tsx bench/profile.ts --model DIR [--layers N]
// GPU time per op type (a timestamp per dispatch, summed by op) of the InternViT + projector pass for one tile
// (the first N layers): where the vision time goes. Needs an adapter with timestamp-query (lavapipe has it).
import { parseArgs } from '../tools/cli/args.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { loadModel } from '../model/load.js';
import { patchGrid } from '../loader/config.js';
import { visionModel } from '../model/intern_vit.js';
import { projector } from '../model/projector.js';
import { Graph } from '../runtime/graph.js';
import { compilePlan, type OpTiming } from '../runtime/plan.js';
import { createTensor } from '../runtime/upload.js';

const args = parseArgs(process.argv.slice(2), { model: { type: 'string' }, layers: { type: 'number' } }, 'profile');
if (!args.model) throw new Error('--model DIR is required');
const gpu = await nodeGpu();
const m = await loadModel(gpu, dirFiles(args.model as string));
const S = m.config.force_image_size;
const g = new Graph(gpu.limits, gpu.profile);
const pixels = createTensor(gpu, 'pixels', [1, 3, S, S], 'f32', 'input');
const layers = (args.layers as number | undefined) ?? m.weights.vision_model.encoder.layers.length;
const w = { ...m.weights.vision_model, encoder: { layers: m.weights.vision_model.encoder.layers.slice(0, layers) } };
projector(g, m.weights.mlp1, visionModel(g, w, m.config.vision_config, pixels, S), 1, patchGrid(m.config));
const plan = compilePlan(gpu, g, { label: 'vision' });
const inputs: [typeof pixels, Float32Array][] = [[pixels, new Float32Array(3 * S * S)]];
await plan.run({ inputs }); // compile + warm
const timings: OpTiming[] = await plan.profile({ inputs });
const byOp = new Map<string, { ms: number; n: number; flops: number }>();
for (const t of timings) {
  const e = byOp.get(t.op) ?? { ms: 0, n: 0, flops: 0 };
  e.ms += t.ms;
  e.n++;
  e.flops += t.gflops * t.ms * 1e6;
  byOp.set(t.op, e);
}
const total = timings.reduce((a, t) => a + t.ms, 0);
console.log(`vision (${layers} layers) + projector on ${gpu.adapterName}: ${total.toFixed(1)} ms GPU over ${timings.length} ops\n`);
console.log('| op | count | ms | % | GFLOP/s |\n|---|---:|---:|---:|---:|');
for (const [op, e] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`| ${op} | ${e.n} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)} | ${(e.flops / e.ms / 1e6).toFixed(2)} |`);
}
process.exit(0);
