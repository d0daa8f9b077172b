// The decode-path fusions at the real InternVL2-1B shapes (a 512-token prefill, one decode step):
// rope_append (RoPE on q, k + the paged KV-cache append) and
// swiglu (decode gate/up GEMVs + silu·mul in one dispatch; the default, and each gemv variant forced), and the
// RMSNorm prologue of the decode GEMVs (norm + q/k/v, norm + gate/up: `rmsNorm` fused into the GEMV, against the
// rms_norm dispatch followed by the same GEMV, for each gemv variant).
// Compare with residual + rms_norm and rope + kv_append in bench/kernels/elementwise.ts and attention.ts.
// Register in bench/kernels.ts next to elementwiseCases.
import { linear } from '../../runtime/ops/linear.js';
import { rmsNorm } from '../../runtime/ops/rms_norm.js';
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
const EPS = 1e-6;
const QKV = LLM_HIDDEN + 2 * LLM_KV;
/** Each gemv variant with the norm fused, and as the rms_norm op then the GEMV (the pair the prologue replaces). */
const NORM_RUNS = (['rows', 'coalesced', 'rows_shuffle'] as const).flatMap((gemv) => [true, false].map((fused) => ({ gemv, fused })));

export const fusedCases: BenchCase[] = [
  ...([undefined, 'rows', 'coalesced', 'rows_shuffle'] as const).map(
    (variant): BenchCase => ({
      op: 'swiglu',
      name: `decode gate/up [1×${LLM_HIDDEN}]·[${LLM_FFN}×${LLM_HIDDEN}]ᵀ + silu·mul`,
      variant: variant ?? 'default',
      build: (g, b) => [swiglu(g, b.tensor('x', [1, LLM_HIDDEN]), b.tensor('gate', [LLM_FFN, LLM_HIDDEN], 'bf16'), b.tensor('up', [LLM_FFN, LLM_HIDDEN], 'bf16'), 'y', { variant })],
    }),
  ),
  ...NORM_RUNS.map(
    ({ gemv, fused }): BenchCase => ({
      op: 'norm_prologue',
      name: `decode rms_norm + qkv [1×${LLM_HIDDEN}]·[${QKV}×${LLM_HIDDEN}]ᵀ + b`,
      variant: `${gemv} ${fused ? 'fused' : 'unfused'}`,
      build: (g, b) => {
        const [x, nw] = [b.tensor('x', [1, LLM_HIDDEN]), b.tensor('norm_w', [LLM_HIDDEN])];
        const [w, bias] = [b.tensor('w', [QKV, LLM_HIDDEN], 'bf16'), b.tensor('b', [QKV])];
        const variant = ({ rows: 'vec_r2', rows_shuffle: 'vec_shuffle_r2', coalesced: 'coalesced' } as const)[gemv]; // each gemv's choice at this shape
        if (fused) return [linear(g, x, w, bias, 'y', { variant, rmsNorm: { weight: nw, eps: EPS } })];
        return [linear(g, rmsNorm(g, x, nw, EPS, 'xn'), w, bias, 'y', { variant })];
      },
    }),
  ),
  ...NORM_RUNS.map(
    ({ gemv, fused }): BenchCase => ({
      op: 'norm_prologue',
      name: `decode rms_norm + gate/up [1×${LLM_HIDDEN}]·[${LLM_FFN}×${LLM_HIDDEN}]ᵀ + silu·mul`,
      variant: `${gemv} ${fused ? 'fused' : 'unfused'}`,
      build: (g, b) => {
        const [x, nw] = [b.tensor('x', [1, LLM_HIDDEN]), b.tensor('norm_w', [LLM_HIDDEN])];
        const [gate, up] = [b.tensor('gate', [LLM_FFN, LLM_HIDDEN], 'bf16'), b.tensor('up', [LLM_FFN, LLM_HIDDEN], 'bf16')];
        if (fused) return [swiglu(g, x, gate, up, 'y', { variant: gemv, rmsNorm: { weight: nw, eps: EPS } })];
        return [swiglu(g, rmsNorm(g, x, nw, EPS, 'xn'), gate, up, 'y', { variant: gemv })];
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
        return r.k ? [r.q, r.k.tensor] : [r.q];
      },
    }),
  ),
];
