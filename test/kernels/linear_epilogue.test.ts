// What `linear` fuses into a GEMM's store (kernels/include/linear_epilogue.wgsl): y = r + ls ⊙ act(x·Wᵀ + b), act GELU
// or silu(gate) ⊙ ·, every part optional, against the float64 reference (linear, then GELU, then the layer-scaled residual) with outputs
// poisoned. The fusing variants (gemm_shuffle with and without x sharing, gemm_tiled unsplit, split-K and in row
// chunks, q8 weights) must run it as one linear node; the others (gemm8x8, the GEMVs) must run the same math as
// the linear followed by the gelu / residual ops. Both on the device with subgroups and without.
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../runtime/device.js';
import { Graph } from '../../runtime/graph.js';
import { type LinearOptions, type LinearVariant, linear } from '../../runtime/ops/linear.js';
import { gelu as geluRef, residual as residualRef, siluMul as siluMulRef } from '../../runtime/reference/elementwise.js';
import { linear as linearRef } from '../../runtime/reference/linear.js';
import type { Tensor } from '../../runtime/tensor.js';
import { VIT_HIDDEN } from '../../bench/shapes.js';
import { TestGraph, expectClose, rng } from '../harness.js';
import { forEachSubgroupDevice } from '../subgroup_devices.js';
import { TOL } from '../tolerances.js';

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly variant: LinearVariant;
  readonly bias: boolean;
  readonly gelu: boolean;
  readonly residual: boolean;
  readonly scale: boolean;
  /** A SiLU gate shaped like y: y = silu(gate) ⊙ (x·Wᵀ + b) (+ r); not with gelu. */
  readonly siluGate?: boolean;
  /** Ops the graph must hold, in order (the fusing variants: ['linear']; the GEMVs fuse a plain residual). */
  readonly ops: readonly string[];
  readonly q8?: boolean;
  /** Pretend maxStorageBufferBindingSize is this (weights bound as row chunks). */
  readonly bindingLimit?: number;
  /** SHARE_X off for linear_shuffle (the direct-load path). */
  readonly direct?: boolean;
}

/** A case of a fusing variant: one linear node. */
const fused = (c: Omit<Case, 'ops'>): Case => ({ ...c, ops: ['linear'] });

const CASES: Case[] = [
  // gemm_shuffle: each part alone and all together, odd M/N (tails), M > 64 (16 rows per thread), x not shared
  fused({ M: 7, N: 13, K: 12, variant: 'gemm_shuffle', bias: true, gelu: true, residual: false, scale: false }),
  fused({ M: 67, N: 131, K: 36, variant: 'gemm_shuffle', bias: false, gelu: false, residual: true, scale: false }),
  fused({ M: 23, N: 29, K: 28, variant: 'gemm_shuffle', bias: true, gelu: false, residual: true, scale: true }),
  fused({ M: 129, N: 67, K: 100, variant: 'gemm_shuffle', bias: true, gelu: true, residual: true, scale: true }),
  fused({ M: 37, N: 70, K: 64, variant: 'gemm_shuffle', bias: true, gelu: true, residual: true, scale: true, direct: true }),
  fused({ M: 70, N: 149, K: 144, variant: 'gemm_shuffle', bias: true, gelu: false, residual: true, scale: true, bindingLimit: 70 * 149 * 4 }),
  fused({ M: 33, N: 40, K: 64, variant: 'gemm_shuffle', bias: true, gelu: true, residual: true, scale: true, q8: true }),
  // gemm_tiled: one chunk of K, split-K (the sum kernel stores), row chunks with split-K, both tiles
  fused({ M: 65, N: 67, K: 34, variant: 'gemm_tiled', bias: true, gelu: true, residual: true, scale: true }),
  fused({ M: 13, N: 97, K: 515, variant: 'gemm_tiled', bias: true, gelu: true, residual: true, scale: true }),
  fused({ M: 97, N: 71, K: 770, variant: 'gemm_tiled', bias: false, gelu: false, residual: true, scale: false }),
  fused({ M: 20, N: 150, K: 512, variant: 'gemm_tiled', bias: true, gelu: true, residual: true, scale: true, bindingLimit: 65536 }),
  fused({ M: 9, N: 41, K: 64, variant: 'gemm_tiled', bias: true, gelu: false, residual: true, scale: true, q8: true }),
  // the SiLU gate (SwiGLU's up projection in prefill): both GEMMs, split-K, q8, with a residual
  fused({ M: 67, N: 131, K: 36, variant: 'gemm_shuffle', bias: false, gelu: false, residual: false, scale: false, siluGate: true }),
  fused({ M: 129, N: 70, K: 64, variant: 'gemm_shuffle', bias: true, gelu: false, residual: true, scale: false, siluGate: true, direct: true }),
  fused({ M: 13, N: 97, K: 515, variant: 'gemm_tiled', bias: false, gelu: false, residual: false, scale: false, siluGate: true }),
  fused({ M: 65, N: 67, K: 34, variant: 'gemm_tiled', bias: true, gelu: false, residual: true, scale: true, siluGate: true }),
  fused({ M: 33, N: 40, K: 64, variant: 'gemm_shuffle', bias: false, gelu: false, residual: false, scale: false, siluGate: true, q8: true }),
  // a real ViT shape (fc1's M and K, N cut): GELU on realistic magnitudes
  fused({ M: 129, N: 72, K: VIT_HIDDEN, variant: 'gemm_shuffle', bias: true, gelu: true, residual: false, scale: false }),
  // the variants that do not fuse it: the same result through the gelu and residual ops
  { M: 37, N: 29, K: 31, variant: 'gemm8x8', bias: true, gelu: true, residual: true, scale: true, ops: ['linear', 'gelu', 'residual'] },
  { M: 37, N: 29, K: 31, variant: 'gemm8x8', bias: true, gelu: false, residual: true, scale: true, ops: ['linear', 'residual'] },
  { M: 33, N: 29, K: 32, variant: 'gemm4x8', bias: false, gelu: true, residual: false, scale: false, ops: ['linear', 'gelu'] },
  { M: 3, N: 77, K: 64, variant: 'vec_shuffle_r2', bias: true, gelu: true, residual: true, scale: false, ops: ['linear', 'gelu', 'residual'] },
  { M: 2, N: 77, K: 64, variant: 'vec_r4', bias: true, gelu: false, residual: true, scale: true, ops: ['linear', 'residual'] },
  { M: 1, N: 70, K: 64, variant: 'coalesced', bias: true, gelu: true, residual: false, scale: false, ops: ['linear', 'gelu'] },
  { M: 37, N: 29, K: 31, variant: 'gemm8x8', bias: true, gelu: false, residual: true, scale: false, siluGate: true, ops: ['linear', 'silu_mul', 'residual'] },
  { M: 4, N: 77, K: 64, variant: 'vec_shuffle_r2', bias: false, gelu: false, residual: false, scale: false, siluGate: true, ops: ['linear', 'silu_mul'] },
];

function label(c: Case): string {
  const parts = [c.bias && 'b', c.gelu && 'GELU', c.siluGate && 'silu(gate) ⊙ …', c.scale ? 'r + ls ⊙ …' : c.residual && 'r'].filter(Boolean).join(', ');
  return `${c.variant}${c.q8 ? ' q8' : ''}${c.direct ? ' (SHARE_X off)' : ''}${c.bindingLimit ? ' (row chunks)' : ''} [${c.M}, ${c.K}]·[${c.N}, ${c.K}]ᵀ with ${parts}`;
}

forEachSubgroupDevice((device, use) => {
  describe(`linear epilogue, ${device}`, () => {
    let gpu: Gpu;
    use((g) => (gpu = g));

    for (const c of CASES) {
      it(label(c), async () => {
        const r = rng(c.M * 7919 + c.N * 31 + c.K + (c.gelu ? 1 : 0));
        const tg = new TestGraph(gpu, c.bindingLimit);
        const x = tg.tensor('x', [c.M, c.K], 'f32', r.normal(c.M * c.K));
        const wValues = r.normal(c.N * c.K, 1 / Math.sqrt(c.K));
        const w = c.q8 ? tg.quantized('w', 'q8', c.N, c.K, wValues) : tg.tensor('w', [c.N, c.K], 'bf16', wValues);
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N, 0.5)) : undefined;
        const res = c.residual ? tg.tensor('res', [c.M, c.N], 'f32', r.normal(c.M * c.N, 2), 'input') : undefined;
        const ls = c.scale ? tg.tensor('ls', [c.N], 'f32', r.normal(c.N, 0.3)) : undefined;
        const gate = c.siluGate ? tg.tensor('gate', [c.M, c.N], 'f32', r.normal(c.M * c.N, 3), 'input') : undefined;

        const value = (t: Tensor | undefined) => t && tg.env.get(t.id)!;
        let want = linearRef(value(x)!, value(w)!, value(b), c.M, c.N, c.K);
        if (c.gelu) want = geluRef(want);
        if (gate) want = siluMulRef(value(gate)!, want);
        if (res) want = residualRef(value(res)!, want, value(ls), c.N);

        const g = tg.g;
        const opts: LinearOptions = { variant: c.variant, ...(res && { residual: res }), ...(ls && { layerScale: ls }), ...(c.gelu && { activation: 'gelu' as const }), ...(gate && { siluGate: gate }) };
        const y = linear(g, x, w, b, 'y', opts);
        expect(y.shape).toEqual([c.M, c.N]);
        // without subgroups gemm_shuffle runs gemm8x8, which does not fuse (a q8 weight: gemm_tiled, which does)
        const unfused = ['linear', ...(c.gelu ? ['gelu'] : []), ...(gate ? ['silu_mul'] : []), ...(res ? ['residual'] : [])];
        expect(g.nodes.map((n) => n.op)).toEqual(c.variant === 'gemm_shuffle' && !gpu.profile.subgroups && !c.q8 ? unfused : c.ops);
        if (c.direct) {
          g.nodes.forEach((n, i) => {
            g.nodes[i] = { ...n, dispatches: n.dispatches.map((d) => (d.kernel.name === 'linear_shuffle' ? { ...d, constants: { ...d.constants, SHARE_X: false } } : d)) };
          });
        }
        const { got } = await tg.run([y]);
        expectClose(`${label(c)} on ${device}`, got.get(y)!, want, c.gelu || c.siluGate ? { ...TOL.matmul, atol: TOL.matmul.atol + TOL.transcendental.atol } : TOL.matmul);
      });
    }

    it('refuses a layer scale without a residual, a layer scale of the wrong size, an unknown activation, a misshapen SiLU gate, a gate with GELU', () => {
      const g = new Graph(gpu.limits, gpu.profile);
      const x = g.tensor('x', [4, 32]);
      const w = g.tensor('w', [8, 32], 'bf16');
      expect(() => linear(g, x, w, undefined, 'y', { layerScale: g.tensor('ls', [8]) })).toThrow(/layer scale needs the residual/);
      expect(() => linear(g, x, w, undefined, 'y', { residual: g.tensor('r', [4, 8]), layerScale: g.tensor('ls', [7]) })).toThrow(/layer scale must have N = 8/);
      expect(() => linear(g, x, w, undefined, 'y', { activation: 'relu' as 'gelu' })).toThrow(/activation must be 'gelu'/);
      expect(() => linear(g, x, w, undefined, 'y', { siluGate: g.tensor('gate', [4, 9]) })).toThrow(/SiLU gate must be \[4, 8\] like y/);
      expect(() => linear(g, x, w, undefined, 'y', { activation: 'gelu', siluGate: g.tensor('gate2', [4, 8]) })).toThrow(/do not combine/);
    });
  });
});
