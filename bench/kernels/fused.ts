// The decode-path fusions at the real InternVL2-1B shapes (a 512-token prefill, one decode step):
// add_rms_norm (residual + the next RMSNorm), rope_append (RoPE on q, k + the paged KV-cache append) and
// swiglu (decode gate/up GEMVs + silu·mul in one dispatch; the default, and each gemv variant forced).
// Compare with residual + rms_norm and rope + kv_append in bench/kernels/elementwise.ts and attention.ts.
// Register in bench/kernels.ts next to elementwiseCases.
import { addRmsNorm } from '../../runtime/ops/add_rms_norm.js';
import { ropeAppend } from '../../runtime/ops/rope_append.js';
import { swiglu } from '../../runtime/ops/swiglu.js';
import { writeTensor } from '../../runtime/upload.js';
import type { BenchCase, BenchContext } from '../case.js';
import { LLM_FFN, LLM_HIDDEN, LLM_KV, PREFILL_TOKENS } from '../shapes.js';

const BLOCK = 16;
const HEAD_DIM = 64;
const u32Input = (bench: BenchContext, name: string, values: number[]) => {
  const t = bench.tensor(name, [values.length], 'u32');
  writeTensor(bench.gpu, t, Uint32Array.from(values));
  return t;
};
const seq = (n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i);

export const fusedCases: BenchCase[] = [
  ...([undefined, 'rows', 'coalesced'] as const).map(
    (variant): BenchCase => ({
      op: 'swiglu',
      name: `decode gate/up [1×${LLM_HIDDEN}]·[${LLM_FFN}×${LLM_HIDDEN}]ᵀ + silu·mul`,
      variant: variant ?? 'default',
      build: (g, b) => [swiglu(g, b.tensor('x', [1, LLM_HIDDEN]), b.tensor('gate', [LLM_FFN, LLM_HIDDEN], 'bf16'), b.tensor('up', [LLM_FFN, LLM_HIDDEN], 'bf16'), 'y', { variant })],
    }),
  ),
  ...[PREFILL_TOKENS, 1].map(
    (T): BenchCase => ({
      op: 'add_rms_norm',
      name: `${T > 1 ? 'prefill' : 'decode'} [${T}×${LLM_HIDDEN}]`,
      build: (g, b) => {
        const r = addRmsNorm(g, b.tensor('x', [T, LLM_HIDDEN]), b.tensor('f', [T, LLM_HIDDEN]), b.tensor('w', [LLM_HIDDEN]), 1e-6, 'h', 'y');
        return [r.h, r.y];
      },
    }),
  ),
  ...[PREFILL_TOKENS, 1].map(
    (T): BenchCase => ({
      op: 'rope_append',
      name: `${T > 1 ? 'prefill' : 'decode'} q [${T}×${LLM_HIDDEN}] k, v [${T}×${LLM_KV}]`,
      build: (g, b) => {
        const blocks = Math.ceil((PREFILL_TOKENS + 1024) / BLOCK);
        const pool = { k: b.tensor('k_cache', [blocks, BLOCK, LLM_KV / HEAD_DIM, HEAD_DIM]), v: b.tensor('v_cache', [blocks, BLOCK, LLM_KV / HEAD_DIM, HEAD_DIM]) };
        const start = T > 1 ? 0 : 700;
        const r = ropeAppend(
          g,
          b.tensor('q', [T, LLM_HIDDEN]),
          b.tensor('k', [T, LLM_KV]),
          b.tensor('v', [T, LLM_KV]),
          u32Input(b, 'pos', seq(T, start)),
          b.tensor('inv_freq', [HEAD_DIM / 2]),
          pool,
          u32Input(b, 'slots', seq(T, start)),
          { heads: LLM_HIDDEN / HEAD_DIM, writeK: T > 1 },
          'rope_append',
        );
        return r.k ? [r.q, r.k] : [r.q];
      },
    }),
  ),
];
