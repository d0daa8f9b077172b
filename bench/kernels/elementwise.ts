// Norms, activations, RoPE, embedding and data-movement ops at the real InternVL2-1B shapes (one 448×448 tile,
// a 512-token prefill, one decode step). Index inputs (ids, positions, rows) get realistic contents; the rest is
// zero-filled, which does not change the timing of these kernels (no data-dependent control flow).
import { argmax } from '../../runtime/ops/argmax.js';
import { embedding } from '../../runtime/ops/embedding.js';
import { gelu } from '../../runtime/ops/gelu.js';
import { layerNorm } from '../../runtime/ops/layer_norm.js';
import { pixelShuffle } from '../../runtime/ops/pixel_shuffle.js';
import { residual } from '../../runtime/ops/residual.js';
import { rope } from '../../runtime/ops/rope.js';
import { scatterRows } from '../../runtime/ops/scatter_rows.js';
import { siluMul } from '../../runtime/ops/silu_mul.js';
import { patchify, vitEmbedAssemble } from '../../runtime/ops/vit_embeddings.js';
import { writeTensor } from '../../runtime/upload.js';
import type { BenchCase, BenchContext } from '../case.js';
import { LLM_FFN, LLM_HIDDEN, LLM_KV, PREFILL_TOKENS, PROJ_IN, VIT_HIDDEN, VIT_MLP, VIT_TOKENS, VOCAB } from '../shapes.js';

const GRID = 32; // patches per side of a 448 tile (patch 14)
const IMAGE_TOKENS = 256; // per tile after pixel shuffle

const u32Input = (bench: BenchContext, name: string, values: number[]) => {
  const t = bench.tensor(name, [values.length], 'u32');
  writeTensor(bench.gpu, t, Uint32Array.from(values));
  return t;
};
const seq = (n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i);

export const elementwiseCases: BenchCase[] = [
  {
    op: 'layer_norm',
    name: `vit.norm [${VIT_TOKENS}×${VIT_HIDDEN}]`,
    build: (g, b) => [layerNorm(g, b.tensor('x', [VIT_TOKENS, VIT_HIDDEN]), b.tensor('w', [VIT_HIDDEN]), b.tensor('b', [VIT_HIDDEN]), 1e-6, 'y')],
  },
  {
    op: 'layer_norm',
    name: `mlp1.0 [${IMAGE_TOKENS}×${PROJ_IN}]`,
    build: (g, b) => [layerNorm(g, b.tensor('x', [IMAGE_TOKENS, PROJ_IN]), b.tensor('w', [PROJ_IN]), b.tensor('b', [PROJ_IN]), 1e-5, 'y')],
  },
  { op: 'gelu', name: `vit.fc1 [${VIT_TOKENS}×${VIT_MLP}]`, build: (g, b) => [gelu(g, b.tensor('x', [VIT_TOKENS, VIT_MLP]), 'y')] },
  { op: 'gelu', name: `mlp1.2 [${IMAGE_TOKENS}×${LLM_HIDDEN}]`, build: (g, b) => [gelu(g, b.tensor('x', [IMAGE_TOKENS, LLM_HIDDEN]), 'y')] },
  ...[PREFILL_TOKENS, 1].map(
    (T): BenchCase => ({ op: 'silu_mul', name: `${T > 1 ? 'prefill' : 'decode'} [${T}×${LLM_FFN}]`, build: (g, b) => [siluMul(g, b.tensor('gate', [T, LLM_FFN]), b.tensor('up', [T, LLM_FFN]), 'y')] }),
  ),
  {
    op: 'residual',
    name: `vit + ls [${VIT_TOKENS}×${VIT_HIDDEN}]`,
    build: (g, b) => [residual(g, b.tensor('x', [VIT_TOKENS, VIT_HIDDEN]), b.tensor('f', [VIT_TOKENS, VIT_HIDDEN]), b.tensor('ls', [VIT_HIDDEN]), 'y')],
  },
  {
    op: 'residual',
    name: `prefill [${PREFILL_TOKENS}×${LLM_HIDDEN}]`,
    build: (g, b) => [residual(g, b.tensor('x', [PREFILL_TOKENS, LLM_HIDDEN]), b.tensor('f', [PREFILL_TOKENS, LLM_HIDDEN]), undefined, 'y')],
  },
  ...[PREFILL_TOKENS, 1].map(
    (T): BenchCase => ({
      op: 'rope',
      name: `${T > 1 ? 'prefill' : 'decode'} q [${T}×${LLM_HIDDEN}] k [${T}×${LLM_KV}]`,
      build: (g, b) => {
        const r = rope(g, b.tensor('q', [T, LLM_HIDDEN]), b.tensor('k', [T, LLM_KV]), u32Input(b, 'pos', seq(T, T > 1 ? 0 : 700)), b.tensor('inv_freq', [32]), 'rope');
        return [r.q, r.k];
      },
    }),
  ),
  ...[PREFILL_TOKENS, 1].map(
    (T): BenchCase => ({
      op: 'embedding',
      name: `${T > 1 ? 'prefill' : 'decode'} [${VOCAB}×${LLM_HIDDEN}] bf16 ids [${T}]`,
      build: (g, b) => [embedding(g, b.tensor('embed_tokens', [VOCAB, LLM_HIDDEN], 'bf16'), u32Input(b, 'ids', seq(T).map((i) => (i * 7919) % VOCAB)), 'y')],
    }),
  ),
  { op: 'patchify', name: 'tile [1×3×448²] p 14', build: (g, b) => [patchify(g, b.tensor('pixels', [1, 3, 448, 448]), 14, 'patches')] },
  {
    op: 'vit_embed_assemble',
    name: `tile [${GRID * GRID}×${VIT_HIDDEN}]`,
    build: (g, b) => [vitEmbedAssemble(g, b.tensor('patches', [GRID * GRID, VIT_HIDDEN]), b.tensor('cls', [VIT_HIDDEN]), b.tensor('pos', [VIT_TOKENS, VIT_HIDDEN]), 1, 'y')],
  },
  { op: 'pixel_shuffle', name: `tile [${VIT_TOKENS}×${VIT_HIDDEN}]`, build: (g, b) => [pixelShuffle(g, b.tensor('x', [VIT_TOKENS, VIT_HIDDEN]), 1, GRID, 'y')] },
  {
    op: 'scatter_rows',
    name: `prefill [${PREFILL_TOKENS}×${LLM_HIDDEN}] ${IMAGE_TOKENS} rows`,
    build: (g, b) => [scatterRows(g, b.tensor('x', [PREFILL_TOKENS, LLM_HIDDEN]), b.tensor('src', [IMAGE_TOKENS, LLM_HIDDEN]), u32Input(b, 'rows', seq(IMAGE_TOKENS, 20)), 'y')],
  },
  { op: 'argmax', name: `logits [1×${VOCAB}]`, build: (g, b) => [argmax(g, b.tensor('logits', [1, VOCAB]), 'next')] },
];
