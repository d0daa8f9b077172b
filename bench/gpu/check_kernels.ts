// npx tsx bench/gpu/check_kernels.ts [--json] [--no-subgroups]
// Every variant of the hot ops (linear, swiglu — bf16 and q4/q8 — what the GEMMs fuse into their store, layer_norm,
// attention, attention_decode on f32 and f16 KV caches) at odd and real InternVL2-1B shapes against the float64 reference, on whatever adapter this process gets —
// the proof that the GPU-shaped kernels are right on a real GPU before their timings mean anything
// (bench/gpu/run.sh runs it first, with and without subgroups). Outputs are poisoned with NaN. Prints one row per case; exits 1 if any case fails.
import { TestGraph, checkGraph, rng } from '../../test/harness.js';
import { blockTables } from '../../test/paged_blocks.js';
import { TOL } from '../../test/tolerances.js';
import { OP_VARIANTS, describeProfile } from '../../runtime/device_profile.js';
import type { Gpu } from '../../runtime/device.js';
import { attention } from '../../runtime/ops/attention.js';
import { attentionDecode } from '../../runtime/ops/attention_decode.js';
import { layerNorm } from '../../runtime/ops/layer_norm.js';
import { LINEAR_VARIANTS, linear } from '../../runtime/ops/linear.js';
import { swiglu } from '../../runtime/ops/swiglu.js';
import { nodeGpu } from '../../tools/node/gpu.js';


const args = process.argv.slice(2);
const json = args.includes('--json');
const gpu: Gpu = await nodeGpu(args.includes('--no-subgroups') ? { disable: ['subgroups'] } : {});

interface Row {
  op: string;
  variant: string;
  shape: string;
  ok: boolean;
  ms: number;
  error?: string;
}
const rows: Row[] = [];

async function check(op: string, variant: string, shape: string, body: (tg: TestGraph) => Promise<void>): Promise<void> {
  const t0 = performance.now();
  const tg = new TestGraph(gpu);
  try {
    await body(tg);
    rows.push({ op, variant, shape, ok: true, ms: performance.now() - t0 });
  } catch (e) {
    rows.push({ op, variant, shape, ok: false, ms: performance.now() - t0, error: (e as Error).message.slice(0, 400) });
  }
  const r = rows.at(-1)!;
  if (!json) console.log(`| ${op} | ${variant} | ${shape} | ${r.ok ? 'ok' : 'FAIL'} | ${r.ms.toFixed(0)} |${r.error ? ` ${r.error}` : ''}`);
}

if (!json) console.log(`adapter: ${gpu.adapterName}\nprofile: ${describeProfile(gpu.profile)}\n\n| op | variant | shape | result | ms |\n|---|---|---|---|---|`);

// linear: odd shapes, batch decode, the real decode GEMVs and ViT/prefill GEMMs
const LINEAR = [
  { M: 1, N: 1, K: 8, bias: true },
  { M: 7, N: 67, K: 64, bias: false },
  { M: 65, N: 67, K: 34, bias: true },
  { M: 33, N: 131, K: 31, bias: false },
  { M: 1, N: 1152, K: 896, bias: true },
  { M: 1, N: 896, K: 4864, bias: false },
  { M: 32, N: 896, K: 896, bias: true },
  { M: 300, N: 1152, K: 896, bias: false },
  { M: 129, N: 3072, K: 1024, bias: true },
];
for (const variant of LINEAR_VARIANTS) {
  for (const c of LINEAR) {
    await check('linear', variant, `${c.M}×${c.K}·${c.N}×${c.K}ᵀ${c.bias ? '+b' : ''}`, async (tg) => {
      const r = rng(c.M * 31 + c.N);
      const x = tg.tensor('x', [c.M, c.K], 'f32', r.normal(c.M * c.K));
      const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
      const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N)) : undefined;
      await checkGraph(tg, [linear(tg.g, x, w, b, 'y', { variant })], TOL.matmul, 'linear');
    });
  }
}

// what the GEMMs fuse into their store: ViT fc1 + GELU, proj/fc2 + ls·residual, prefill up with silu(gate) + split-K
const EPILOGUE = [
  { M: 129, N: 4096, K: 1024, what: 'GELU' },
  { M: 129, N: 1024, K: 1024, what: 'r + ls ⊙' },
  { M: 300, N: 4864, K: 896, what: 'silu(gate) ⊙' },
  { M: 13, N: 97, K: 515, what: 'silu(gate) ⊙, r + ls ⊙' },
] as const;
for (const variant of ['gemm_tiled', 'gemm_shuffle', 'gemm8x8'] as const) {
  for (const c of EPILOGUE) {
    await check('linear', `${variant} epilogue`, `${c.M}×${c.K}·${c.N}×${c.K}ᵀ+b, ${c.what}`, async (tg) => {
      const r = rng(c.M * 31 + c.N + 5);
      const x = tg.tensor('x', [c.M, c.K], 'f32', r.normal(c.M * c.K));
      const w = tg.tensor('w', [c.N, c.K], 'bf16', r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
      const b = tg.tensor('b', [c.N], 'f32', r.normal(c.N));
      const scaled = c.what.includes('ls');
      const gated = c.what.includes('gate');
      const opts = {
        variant,
        ...(c.what === 'GELU' && { activation: 'gelu' as const }),
        ...(gated && { siluGate: tg.tensor('gate', [c.M, c.N], 'f32', r.normal(c.M * c.N, 3), 'input') }),
        ...(scaled && { residual: tg.tensor('res', [c.M, c.N], 'f32', r.normal(c.M * c.N, 2), 'input'), layerScale: tg.tensor('ls', [c.N], 'f32', r.normal(c.N, 0.3)) }),
      };
      await checkGraph(tg, [linear(tg.g, x, w, b, 'y', opts)], { ...TOL.matmul, atol: TOL.matmul.atol + TOL.transcendental.atol }, 'linear');
    });
  }
}

for (const variant of OP_VARIANTS.layer_norm) {
  for (const [rows, cols] of [[1025, 1024], [256, 4096], [5, 257]] as const) {
    await check('layer_norm', variant, `${rows}×${cols}`, async (tg) => {
      const r = rng(rows + cols);
      const x = tg.tensor('x', [rows, cols], 'f32', r.normal(rows * cols, 2).map((v) => v + 3));
      const w = tg.tensor('w', [cols], 'f32', r.uniform(cols, 0.5, 1.5));
      const b = tg.tensor('b', [cols], 'f32', r.uniform(cols, -0.5, 0.5));
      await checkGraph(tg, [layerNorm(tg.g, x, w, b, 1e-6, 'y', variant)], TOL.reduction, 'layer_norm');
    });
  }
}

for (const variant of OP_VARIANTS.gemv) {
  await check('swiglu', variant, '1×896 → 4864', async (tg) => {
    const r = rng(7);
    const x = tg.tensor('x', [1, 896], 'f32', r.normal(896));
    const gate = tg.tensor('gate', [4864, 896], 'bf16', r.normal(4864 * 896, 0.03));
    const up = tg.tensor('up', [4864, 896], 'bf16', r.normal(4864 * 896, 0.03));
    await checkGraph(tg, [swiglu(tg.g, x, gate, up, 'act', { variant })], TOL.matmul, 'swiglu');
  });
}

// q4/q8 weights (runtime/quant.ts): every GEMV and GEMM path at odd and real shapes, and the SwiGLU GEMVs
const QUANT = [
  { M: 1, N: 67, K: 96, bias: true },
  { M: 1, N: 1152, K: 896, bias: true },
  { M: 1, N: 896, K: 4864, bias: false },
  { M: 8, N: 131, K: 896, bias: true },
  { M: 32, N: 896, K: 896, bias: false },
  { M: 300, N: 1152, K: 896, bias: true },
];
for (const format of ['q4', 'q8'] as const) {
  for (const variant of ['coalesced', 'vec_shuffle_r2', 'gemm_tiled', 'gemm_shuffle'] as const) {
    for (const c of QUANT) {
      await check('linear', `${format} ${variant}`, `${c.M}×${c.K}·${c.N}×${c.K}ᵀ${c.bias ? '+b' : ''}`, async (tg) => {
        const r = rng(c.M * 31 + c.N);
        const x = tg.tensor('x', [c.M, c.K], 'f32', r.normal(c.M * c.K));
        const w = tg.quantized('w', format, c.N, c.K, r.normal(c.N * c.K, 1 / Math.sqrt(c.K)));
        const b = c.bias ? tg.tensor('b', [c.N], 'f32', r.normal(c.N)) : undefined;
        await checkGraph(tg, [linear(tg.g, x, w, b, 'y', { variant })], TOL.matmul, 'linear');
      });
    }
  }
  for (const variant of OP_VARIANTS.gemv) {
    await check('swiglu', `${format} ${variant}`, '1×896 → 4864', async (tg) => {
      const r = rng(7);
      const x = tg.tensor('x', [1, 896], 'f32', r.normal(896));
      const gate = tg.quantized('gate', format, 4864, 896, r.normal(4864 * 896, 0.03));
      const up = tg.quantized('up', format, 4864, 896, r.normal(4864 * 896, 0.03));
      await checkGraph(tg, [swiglu(tg.g, x, gate, up, 'act', { variant })], TOL.matmul, 'swiglu');
    });
  }
}

// attention: ViT (one tile, fused qkv view), causal GQA prefill, several short sequences
const ATTENTION = [
  { T: 1025, seqs: 1, heads: 16, kvHeads: 16, dh: 64, causal: false },
  { T: 300, seqs: 1, heads: 14, kvHeads: 2, dh: 64, causal: true },
  { T: 37, seqs: 3, heads: 6, kvHeads: 2, dh: 16, causal: true },
];
for (const kernel of OP_VARIANTS.attention) {
  for (const c of ATTENTION) {
    await check('attention', kernel, `${c.seqs}×${c.T} ${c.heads}/${c.kvHeads}×${c.dh}${c.causal ? ' causal' : ''}`, async (tg) => {
      const r = rng(c.T);
      const [qw, kw] = [c.heads * c.dh, c.kvHeads * c.dh];
      const stride = qw + 2 * kw;
      const qkv = tg.tensor('qkv', [c.T * c.seqs, stride], 'f32', r.normal(c.T * c.seqs * stride, 1.5));
      const view = (offset: number) => ({ tensor: qkv, offset, stride });
      const out = attention(tg.g, view(0), view(qw), view(qw + kw), { heads: c.heads, kvHeads: c.kvHeads, headDim: c.dh, causal: c.causal, scale: c.dh ** -0.5, numSeqs: c.seqs, kernel }, 'out');
      await checkGraph(tg, [out], TOL.attention, 'attention');
    });
  }
}

// paged decode attention: Qwen2's 14/2 heads × 64, block 16, shuffled block tables, batch 3 and 32
const DECODE = [
  { lens: [1, 17, 300], maxContext: 4096 },
  { lens: Array.from({ length: 32 }, (_, i) => 1 + ((i * 37) % 500)), maxContext: 512 },
];
for (const variant of OP_VARIANTS.attention_decode) {
  for (const [c, kv] of DECODE.flatMap((c) => [[c, 'f32'], [c, 'f16']] as const)) {
    await check('attention_decode', variant, `batch ${c.lens.length}, ≤${Math.max(...c.lens)} keys, ctx ${c.maxContext}, ${kv} KV`, async (tg) => {
      const r = rng(c.lens.length);
      const [heads, kvHeads, dh, blockSize] = [14, 2, 64, 16];
      const maxBlocks = Math.ceil(c.maxContext / blockSize);
      const numBlocks = c.lens.reduce((n, l) => n + Math.ceil(l / blockSize), 0) + 2;
      const tables = blockTables(c.lens, blockSize, maxBlocks, numBlocks, r);
      const n = numBlocks * blockSize * kvHeads * dh;
      const shape = [numBlocks, blockSize, kvHeads, dh];
      const pool = { k: tg.tensor('k_cache', shape, kv, r.normal(n, 1.5), 'state'), v: tg.tensor('v_cache', shape, kv, r.normal(n), 'state') };
      const B = c.lens.length;
      const q = tg.tensor('q', [B, heads * dh], 'f32', r.normal(B * heads * dh, 1.5));
      const bt = tg.tensor('block_tables', [B, maxBlocks], 'u32', tables.flat(), 'input');
      const sl = tg.tensor('seq_lens', [B], 'u32', c.lens, 'input');
      const out = attentionDecode(tg.g, q, pool, bt, sl, { heads, scale: dh ** -0.5, maxContext: c.maxContext, variant }, 'out');
      await checkGraph(tg, [out], TOL.attention, 'attention_decode');
    });
  }
}

const failed = rows.filter((r) => !r.ok);
if (json) console.log(JSON.stringify({ adapter: gpu.adapterName, profile: describeProfile(gpu.profile), subgroups: gpu.profile.subgroups, rows }));
else console.log(`\n${rows.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
