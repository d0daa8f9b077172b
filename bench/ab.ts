// npm run bench:ab -- --base REV [--workload vit|projector|prefill] [--model DIR] [--reps 12] [--vit-layers 2] [--tokens 128]
// Before/after of a performance change in one process: this tree against the commit REV (checked out into a
// temporary git worktree), the same workload built by each version's own model code and kernels on one device,
// run alternately rep by rep. On a loaded 2-core VM two separate bench runs differ by ±20–30 %, more than most
// kernel changes; interleaving makes a drift hit both alike. Prints each side's samples, median and min, and the
// ratio of medians (base / this tree: > 1 means this tree is faster).
// Workloads: `vit`, the InternViT pass over one 448 tile (its first --vit-layers layers); `projector`, pixel shuffle
// and mlp1 on one tile's vision output; `prefill`, the language
// model's layers over --tokens text tokens into an empty paged cache. GPU time per rep comes from timestamps.
// The base version runs with this tree's Gpu object (device, limits, profile): fine for commits that share the
// runtime's interfaces, which is what a before/after of one change needs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createTimer, median } from '../runtime/profile.js';
import { describeProfile } from '../runtime/device_profile.js';
import { checkpointDir } from '../test/fixtures.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';

const { values } = parseArgs({
  options: { base: { type: 'string' }, workload: { type: 'string', default: 'vit' }, model: { type: 'string' }, reps: { type: 'string', default: '12' }, 'vit-layers': { type: 'string', default: '2' }, tokens: { type: 'string', default: '128' } },
});
if (!values.base) throw new Error('--base REV is required (the commit to compare this tree against)');
const workload = values.workload!;
if (!['vit', 'projector', 'prefill'].includes(workload)) throw new Error(`--workload must be vit, projector or prefill, got ${workload}`);
const reps = Number(values.reps);
const vitLayers = Number(values['vit-layers']);
const tokens = Number(values.tokens);
const here = resolve(import.meta.dirname, '..');
const model = values.model ?? (await checkpointDir('full', 1));

const worktree = mkdtempSync(join(tmpdir(), 'internvl-ab-'));
const git = (...args: string[]) => execFileSync('git', ['-C', here, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
const baseCommit = git('rev-parse', '--short', values.base);
git('worktree', 'add', '--detach', worktree, values.base);
try {
  symlinkSync(join(here, 'node_modules'), join(worktree, 'node_modules'));
  execFileSync(process.execPath, ['--import', 'tsx', join(worktree, 'tools', 'embed_shaders.ts')], { cwd: worktree, stdio: 'inherit' });
  const gpu = await nodeGpu();
  console.log(`${gpu.adapterName}; profile ${describeProfile(gpu.profile)}\n${workload}: ${baseCommit} (base) against this tree, ${reps} reps each, alternating`);

  /** One version's workload: a compiled plan and the inputs of one run. */
  async function build(root: string) {
    const imp = (p: string) => import(join(root, p));
    const { loadModel } = await imp('model/load.ts');
    const { Graph } = await imp('runtime/graph.ts');
    const { compilePlan } = await imp('runtime/plan.ts');
    const { createTensor } = await imp('runtime/upload.ts');
    const m = await loadModel(gpu, dirFiles(model));
    const g = new Graph(gpu.limits, gpu.profile);
    if (workload === 'vit') {
      const { visionModel } = await imp('model/intern_vit.ts');
      const S = m.config.force_image_size;
      const layers = m.weights.vision_model.encoder.layers.slice(0, vitLayers);
      const pixels = createTensor(gpu, 'pixel_values', [1, 3, S, S], 'f32', 'input');
      const y = visionModel(g, { ...m.weights.vision_model, encoder: { layers } }, m.config.vision_config, pixels, S);
      const values = Float32Array.from({ length: 3 * S * S }, (_, i) => Math.sin(i) * 2);
      return { plan: compilePlan(gpu, g, { keep: [y], label: `ab.vit ${root}` }), inputs: [[pixels, values]] };
    }
    if (workload === 'projector') {
      const { projector } = await imp('model/projector.ts');
      const { patchGrid } = await imp('loader/config.ts');
      const grid = patchGrid(m.config);
      const D = m.config.vision_config.hidden_size;
      const rows = grid * grid + 1;
      const vision = createTensor(gpu, 'vision_out', [rows, D], 'f32', 'input');
      const y = projector(g, m.weights.mlp1, vision, 1, grid);
      const values = Float32Array.from({ length: rows * D }, (_, i) => Math.sin(i) * 2);
      return { plan: compilePlan(gpu, g, { keep: [y], label: `ab.projector ${root}` }), inputs: [[vision, values]] };
    }
    const { createEngine } = await imp('model/generate.ts');
    const { embedding } = await imp('runtime/ops/embedding.ts');
    const { prefillStep } = await imp('model/kv_cache.ts');
    const engine = createEngine(m, { maxContext: tokens + 16, cacheTokens: tokens + 16 });
    const slots = engine.cache.blocks.append(1, tokens);
    const ids = createTensor(gpu, 'input_ids', [tokens], 'u32', 'input');
    const positions = createTensor(gpu, 'positions', [tokens], 'u32', 'input');
    const slotIds = createTensor(gpu, 'slots', [tokens], 'u32', 'input');
    const h = m.llm.layers(g, embedding(g, m.llm.embedTokens, ids, 'llm.embeddings'), prefillStep(engine.cache, positions, slotIds, tokens));
    const inputs = [[ids, Uint32Array.from({ length: tokens }, (_, i) => 1000 + ((i * 7919) % 50000))], [positions, Uint32Array.from({ length: tokens }, (_, i) => i)], [slotIds, slots]];
    return { plan: compilePlan(gpu, g, { keep: [h], label: `ab.prefill ${root}` }), inputs };
  }

  const sides = [
    { name: `base ${baseCommit}`, ...(await build(worktree)) },
    { name: 'this tree', ...(await build(here)) },
  ];
  for (const s of sides) await s.plan.run({ inputs: s.inputs }); // compile and warm
  const samples = sides.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) {
    for (const [j, s] of sides.entries()) samples[j]!.push(await createTimer(gpu, s.plan.wait).time(() => s.plan.submit({ inputs: s.inputs })));
  }
  for (const [j, s] of sides.entries()) {
    const xs = samples[j]!;
    console.log(`${s.name.padEnd(16)} ${xs.map((x) => x.toFixed(0)).join(' ')} ms; median ${median(xs).toFixed(1)}, min ${Math.min(...xs).toFixed(1)}`);
  }
  console.log(`base / this tree (medians): ${(median(samples[0]!) / median(samples[1]!)).toFixed(3)}×`);
} finally {
  git('worktree', 'remove', '--force', worktree);
  if (existsSync(worktree)) rmSync(worktree, { recursive: true, force: true });
}
process.exit(0);
