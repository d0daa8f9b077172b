// layer_norm, both variants (runtime/ops/layer_norm.ts): 'workgroup' (kernels/layer_norm.wgsl) and 'subgroup_rows'
// (kernels/layer_norm_rows.wgsl, also with WHOLE_ROW_SUMS off: the per-thread whole-row path a subgroup narrower
// than 8 takes), against the float64 reference with outputs poisoned, on the device with subgroups and without
// (where 'subgroup_rows' must fall back to the workgroup kernel).
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../runtime/device.js';
import { type LayerNormVariant, layerNorm } from '../../runtime/ops/layer_norm.js';
import { TestGraph, checkGraph, rng } from '../harness.js';
import { forEachSubgroupDevice } from '../subgroup_devices.js';
import { TOL } from '../tolerances.js';

// [rows, cols, eps, offset]: degenerate, odd (primes, non-multiples of 8 and of WG), a large common offset (two-pass
// accuracy), and the real shapes: InternViT norm1/norm2 over one tile (1025 × 1024, eps 1e-6) and the
// projector mlp1.0 over one tile's shuffled tokens (256 × 4096, eps 1e-5).
const CASES: [number, number, number, number][] = [
  [1, 1, 1e-6, 0],
  [3, 7, 1e-6, 0],
  [5, 257, 1e-5, 0],
  [17, 1000, 1e-6, 0],
  [7, 1024, 1e-6, 300],
  [1025, 1024, 1e-6, 0],
  [256, 4096, 1e-5, 0],
];

const RUNS: { variant: LayerNormVariant; wholeRowSums?: false }[] = [{ variant: 'workgroup' }, { variant: 'subgroup_rows' }, { variant: 'subgroup_rows', wholeRowSums: false }];

forEachSubgroupDevice((device, use) => {
  describe(`layer_norm, ${device}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const run of RUNS) {
      for (const [rows, cols, eps, offset] of CASES) {
        const label = `${run.variant}${run.wholeRowSums === false ? ' (WHOLE_ROW_SUMS off)' : ''} [${rows}, ${cols}] eps ${eps}${offset ? ` offset ${offset}` : ''}`;
        it(label, async () => {
          const r = rng(rows * 1000 + cols);
          const tg = new TestGraph(gpu);
          const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 2).map((v) => v + offset));
          const w = tg.tensor('w', [cols], 'f32', r.uniform(cols, 0.5, 1.5));
          const b = tg.tensor('b', [cols], 'f32', r.uniform(cols, -0.5, 0.5));
          const y = layerNorm(tg.g, x, w, b, eps, 'y', run.variant);
          const node = tg.g.nodes[0]!;
          const rowsKernel = run.variant === 'subgroup_rows' && gpu.profile.subgroups;
          expect(node.dispatches.map((d) => d.kernel.name)).toEqual([rowsKernel ? 'layer_norm_rows' : 'layer_norm']);
          if (run.wholeRowSums === false) tg.g.nodes[0] = { ...node, dispatches: node.dispatches.map((d) => ({ ...d, constants: { ...d.constants, WHOLE_ROW_SUMS: false } })) };
          if (run.wholeRowSums === false && !rowsKernel) return; // the workgroup kernel has no such override
          await checkGraph(tg, [y], TOL.reduction, `layer_norm ${label} on ${device}`);
        });
      }
    }
  });
});
