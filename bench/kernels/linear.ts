// linear at every real InternVL2-1B shape with the default variant, plus every variant at the ViT fc1 GEMM
// (1025×1024 · 4096×1024ᵀ), the decode GEMV and lm_head, the fc1 GEMM with the smart wait off; the GPU
// kernel gemm_tiled at every GEMM shape, and batch-32 decode (M = 32) with the default and gemm_tiled; gemm_shuffle
// against gemm8x8 at vit.qkv and the prefill GEMMs (at fc1 with every gemm variant); the CPU-rasteriser GEMVs with x
// shared by subgroupShuffle (vec_shuffle_r<R>) against vec_r<R> at decode.gate_up and lm_head, and vec_shuffle_r2
// at every per-layer decode shape; q4 and q8 weights (runtime/quant.ts) at every decode shape and two prefill GEMMs,
// beside bf16 in the same run.
import type { QuantFormat } from '../../runtime/quant.js';
import { withScales } from '../../runtime/quant_tensor.js';
import { LINEAR_VARIANTS, type LinearVariant, VEC_SHUFFLE_VARIANTS, linear } from '../../runtime/ops/linear.js';
import type { BenchCase } from '../case.js';
import { LINEAR_SHAPES, type LinearShape, linearShape } from '../shapes.js';

const label = (s: LinearShape) => `${s.name} [${s.M}×${s.K}]·[${s.N}×${s.K}]ᵀ`;

function linearCase(s: LinearShape, variant?: LinearVariant, smartWait?: boolean): BenchCase {
  return {
    op: 'linear',
    name: label(s),
    variant: variant ?? 'default',
    smartWait,
    build: (g, bench) => {
      const x = bench.tensor('x', [s.M, s.K], 'f32');
      const w = bench.tensor('w', [s.N, s.K], 'bf16');
      const b = s.bias ? bench.tensor('b', [s.N], 'f32') : undefined;
      return [linear(g, x, w, b, 'y', variant ? { variant } : {})];
    },
  };
}

/** o_proj / down_proj with the decoder's residual add (linear's `residual` option: fused by the GEMV variants). */
function residualCase(s: LinearShape, variant: LinearVariant): BenchCase {
  return {
    op: 'linear',
    name: `${label(s)} + residual`,
    variant,
    build: (g, bench) => {
      const x = bench.tensor('x', [s.M, s.K], 'f32');
      const w = bench.tensor('w', [s.N, s.K], 'bf16');
      return [linear(g, x, w, undefined, 'y', { variant, residual: bench.tensor('r', [s.M, s.N], 'f32') })];
    },
  };
}

/** The same shape with q4/q8 weights (zero codes and scales: the kernels' speed does not depend on the values). */
function quantCase(s: LinearShape, format: QuantFormat): BenchCase {
  return {
    op: 'linear',
    name: label(s),
    variant: format,
    build: (g, bench) => {
      const x = bench.tensor('x', [s.M, s.K], 'f32');
      const w = withScales(bench.tensor('w', [s.N, s.K], format), bench.tensor('w.scales', [s.N, s.K / 32], 'f16'));
      const b = s.bias ? bench.tensor('b', [s.N], 'f32') : undefined;
      return [linear(g, x, w, b, 'y')];
    },
  };
}

const gemm = LINEAR_VARIANTS.filter((v) => v.startsWith('gemm'));
const vec = [...LINEAR_VARIANTS.filter((v) => v.startsWith('vec')), ...VEC_SHUFFLE_VARIANTS];
const fc1 = linearShape('vit.fc1');
// batched decode: 32 sequences per step through the decode projections (the GEMM path, M > 8)
const decode32 = LINEAR_SHAPES.filter((s) => s.name.startsWith('decode.')).map((s) => ({ ...s, name: `${s.name}×32`, M: 32 }));

export const linearCases: BenchCase[] = [
  ...LINEAR_SHAPES.map((s) => linearCase(s)),
  ...gemm.map((v) => linearCase(fc1, v)),
  linearCase(fc1, undefined, false),
  ...vec.map((v) => linearCase(linearShape('decode.gate_up'), v)),
  ...vec.map((v) => linearCase(linearShape('lm_head'), v)),
  // the GPU GEMV (coalesced loads, a workgroup per row or few rows) at every decode shape, and down_proj + residual
  ...['decode.q', 'decode.kv', 'decode.gate_up', 'decode.down', 'lm_head'].map((n) => linearCase(linearShape(n), 'coalesced')),
  ...(['coalesced', 'vec_r2', 'vec_shuffle_r2'] as const).map((v) => residualCase(linearShape('decode.down'), v)),
  ...['decode.q', 'decode.kv', 'decode.down'].map((n) => linearCase(linearShape(n), 'vec_shuffle_r2')),
  ...LINEAR_SHAPES.filter((s) => s.M > 8 && s !== fc1).map((s) => linearCase(s, 'gemm_tiled')),
  ...decode32.flatMap((s) => [linearCase(s), linearCase(s, 'gemm_tiled')]),
  ...['vit.qkv', 'prefill.q', 'prefill.gate_up', 'prefill.down'].flatMap((n) => (['gemm8x8', 'gemm_shuffle'] as const).map((v) => linearCase(linearShape(n), v))),
  ...['decode.q', 'decode.kv', 'decode.gate_up', 'decode.down', 'lm_head', 'prefill.q', 'prefill.gate_up'].flatMap((n) => (['q8', 'q4'] as const).map((f) => quantCase(linearShape(n), f))),
];
