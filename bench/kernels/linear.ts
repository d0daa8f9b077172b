// linear at every real InternVL2-1B shape with the default variant, plus every variant at the ViT fc1 GEMM
// (1025×1024 · 4096×1024ᵀ), the decode GEMV and lm_head, and the fc1 GEMM with the smart wait off.
import { LINEAR_VARIANTS, type LinearVariant, linear } from '../../runtime/ops/linear.js';
import type { BenchCase } from '../case.js';
import { LINEAR_SHAPES, type LinearShape, linearShape } from '../shapes.js';

function linearCase(s: LinearShape, variant?: LinearVariant, smartWait?: boolean): BenchCase {
  return {
    op: 'linear',
    name: `${s.name} [${s.M}×${s.K}]·[${s.N}×${s.K}]ᵀ`,
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

const gemm = LINEAR_VARIANTS.filter((v) => v.startsWith('gemm'));
const vec = LINEAR_VARIANTS.filter((v) => v.startsWith('vec'));

export const linearCases: BenchCase[] = [
  ...LINEAR_SHAPES.map((s) => linearCase(s)),
  ...gemm.map((v) => linearCase(linearShape('vit.fc1'), v)),
  linearCase(linearShape('vit.fc1'), undefined, false),
  ...vec.map((v) => linearCase(linearShape('decode.gate_up'), v)),
  ...vec.map((v) => linearCase(linearShape('lm_head'), v)),
];
