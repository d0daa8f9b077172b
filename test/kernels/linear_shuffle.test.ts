// The 'gemm_shuffle' GEMM variant of `linear` (kernels/linear_shuffle.wgsl via runtime/ops/linear_shuffle.ts) against
// the float64 reference with outputs poisoned, on the default test device (lavapipe: subgroups of 8, x shared by
// subgroupShuffle), on the same device with SHARE_X = false (the direct-load path a non-matching subgroup layout
// takes), and on a device without subgroups (the op must fall back to gemm8x8, kernels/linear.wgsl). K % 4 ≠ 0
// falls back to gemm8x8 on every device.
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../runtime/device.js';
import type { DeviceProfile } from '../../runtime/device_profile.js';
import { decodeValues } from '../../runtime/decode_values.js';
import { Graph, type GraphLimits, rowChunks } from '../../runtime/graph.js';
import { linear } from '../../runtime/ops/linear.js';
import { compilePlan } from '../../runtime/plan.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import { numel } from '../../runtime/tensor.js';
import { linearShape } from '../../bench/shapes.js';
import { TestGraph, expectClose, rng } from '../harness.js';
import { forEachSubgroupDevice } from '../subgroup_devices.js';
import { TOL } from '../tolerances.js';

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bias: boolean;
  readonly residual?: boolean;
  readonly lead?: readonly number[]; // leading dims of x instead of [M]
  /** Bind w as row chunks of at most this many bytes: one dispatch per chunk, each writing its columns of y. */
  readonly bindBytes?: number;
}

// A real shape with N cut (the reference is a float64 loop in JS): M and K as at the real op.
const realCut = (name: string, N: number): Case => ({ ...linearShape(name), N });

// Degenerate (1×1 output, K = 4: one vec4 per row); M < 8 and N < 8 (most threads and lanes clamped); primes and
// non-multiples of the 64×64 tile in M and N with K a multiple of 4 but not of 8; M one past 2 tiles; leading dims;
// the residual (a second dispatch); w bound as 2 row chunks (y_col, y_stride and b_off of each chunk); K odd and
// K ≡ 2 (mod 4), which fall back to gemm8x8; vit.fc1 and prefill.down at their M and K with N cut to 136 and 67.
const CASES: Case[] = [
  { M: 1, N: 1, K: 4, bias: false },
  { M: 7, N: 5, K: 12, bias: true },
  { M: 3, N: 131, K: 20, bias: false },
  { M: 67, N: 131, K: 36, bias: true },
  { M: 129, N: 67, K: 100, bias: false },
  { M: 61, N: 193, K: 4, bias: true },
  { M: 6, N: 5, K: 16, bias: true, lead: [2, 3] },
  { M: 23, N: 29, K: 28, bias: true, residual: true },
  { M: 70, N: 149, K: 144, bias: true, bindBytes: 70 * 149 * 4 }, // chunks of 144 and 5 rows: y_col 0 and 144
  { M: 37, N: 29, K: 31, bias: true },
  { M: 11, N: 13, K: 34, bias: false },
  realCut('vit.fc1', 136),
  realCut('prefill.down', 67),
];

/** Graph limits of the device, with a smaller binding limit where the case asks for row chunks. */
function limitsFor(gpu: Gpu, c: Case): GraphLimits {
  const l = gpu.limits;
  return { maxStorageBufferBindingSize: c.bindBytes ?? l.maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension, minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment };
}

/** The kernel of every GEMM dispatch of the graph (the residual add, if any, is not one). */
const gemmKernels = (g: Graph) => g.nodes.filter((n) => n.op === 'linear').flatMap((n) => n.dispatches.map((d) => d.kernel.name));

/** The same graph with every linear_shuffle dispatch forced onto its direct-load path. */
function withoutSharing(g: Graph): void {
  g.nodes.forEach((n, i) => {
    const dispatches = n.dispatches.map((d) => (d.kernel.name === 'linear_shuffle' ? { ...d, constants: { ...d.constants, SHARE_X: false } } : d));
    g.nodes[i] = { ...n, dispatches };
  });
}


forEachSubgroupDevice((label, use) => {
  describe(`gemm_shuffle, ${label}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const c of CASES) {
      const name = `[${c.M}, ${c.K}] · [${c.N}, ${c.K}]ᵀ${c.bias ? ' + b' : ''}${c.residual ? ' + r' : ''}${c.bindBytes ? ', w in row chunks' : ''}`;
      it(name, async () => {
        const r = rng(c.M * 7919 + c.N * 31 + c.K);
        const tg = new TestGraph(gpu);
        const lead = c.lead ?? [c.M];
        const x = tg.tensor('x', [...lead, c.K], 'f32', r.normal(c.M * c.K));
        const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
        const res = c.residual ? tg.tensor('res', [...lead, c.N], 'f32', r.normal(c.M * c.N, 2), 'input') : undefined;
        const want = linearRef(tg.env.get(x.id)!, tg.env.get(w.id)!, b && tg.env.get(b.id), c.M, c.N, c.K, res && tg.env.get(res.id));
        const shuffles = gpu.profile.subgroups && c.K % 4 === 0;
        for (const shareX of shuffles ? [true, false] : [true]) {
          const g = new Graph(limitsFor(gpu, c), gpu.profile);
          const y = linear(g, x, w, b, 'y', { variant: 'gemm_shuffle', residual: res });
          expect(y.shape).toEqual([...lead, c.N]);
          const kernels = gemmKernels(g);
          expect(kernels.length).toBe(c.bindBytes ? 2 : 1);
          expect(kernels.length).toBe(rowChunks(g.limits, w).length);
          expect(new Set(kernels)).toEqual(new Set([shuffles ? 'linear_shuffle' : 'linear']));
          if (!shareX) withoutSharing(g);
          const plan = compilePlan(gpu, g, { keep: [y], poison: true, label: 'test' });
          const bytes = await plan.run({ read: [y] });
          plan.destroy();
          const got = decodeValues('f32', bytes.get(y.name)!, numel(y.shape));
          expectClose(`gemm_shuffle (${label}${shareX ? '' : ', SHARE_X off'}) ${name}`, got, want, TOL.matmul);
        }
      });
    }

    it('a profile that names gemm_shuffle gets it only where subgroups are', () => {
      const profile: DeviceProfile = { ...gpu.profile, variants: { ...gpu.profile.variants, gemm: 'gemm_shuffle' } };
      const g = new Graph(gpu.limits, profile);
      linear(g, g.tensor('x', [64, 32]), g.tensor('w', [48, 32], 'bf16'), undefined, 'y');
      linear(g, g.tensor('x2', [64, 30]), g.tensor('w2', [48, 30], 'bf16'), undefined, 'y2'); // K % 4 ≠ 0
      expect(gemmKernels(g)).toEqual([gpu.profile.subgroups ? 'linear_shuffle' : 'linear', 'linear']);
    });
  });
});
