import { describe, expect, it } from 'vitest';
import { roundToF16 } from '../../runtime/dtype.js';
import { type KvDtype, type KvPool, kvAppend } from '../../runtime/ops/kv_cache.js';
import { rope } from '../../runtime/ops/rope.js';
import { ropeAppend } from '../../runtime/ops/rope_append.js';
import { ropeInvFreq } from '../../runtime/reference/elementwise.js';
import { TestGraph, expectClose, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

function shuffled(n: number, r: ReturnType<typeof rng>): Uint32Array {
  const a = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

// [T, Hq, Hkv, Dh, positions, q/k/v as views of one fused qkv, writeK]: degenerate, odd (Dh/2 = 6, 5 heads, one kv
// head), and the real Qwen2 shapes (14 q heads, 2 kv heads, Dh 64): a decode row far out, a prefill from 0.
const CASES: [number, number, number, number, 'seq' | 'far', boolean, boolean][] = [
  [1, 1, 1, 4, 'seq', false, false],
  [5, 5, 1, 12, 'far', true, true],
  [7, 3, 3, 8, 'seq', false, true],
  [1, 14, 2, 64, 'far', false, false],
  [3, 14, 2, 64, 'far', true, false],
  [37, 14, 2, 64, 'seq', false, true],
  [9, 6, 2, 96, 'far', true, true], // Phi-3's head dim
  [4, 4, 1, 128, 'seq', false, false], // InternLM2's
];

// f16 pools: every case whose head dim is a multiple of 8 (the f16 pool's requirement)
const RUNS: [KvDtype, (typeof CASES)[number]][] = [...CASES.map((c) => ['f32', c] as [KvDtype, (typeof CASES)[number]]), ...CASES.filter((c) => c[3] % 8 === 0).map((c) => ['f16', c] as [KvDtype, (typeof CASES)[number]])];

describe('rope_append', () => {
  for (const [kvDtype, [T, hq, hkv, dh, kind, fusedQkv, writeK]] of RUNS) {
    const label = `rope_append T ${T}, Hq ${hq}, Hkv ${hkv}, Dh ${dh}, ${kind}${fusedQkv ? ', qkv views' : ''}${writeK ? ', writeK' : ''}, ${kvDtype} pools`;
    it(`${label}: float64 reference, and bit-identical to rope + kv_append`, async () => {
      const r = rng(T * 1000 + hq * 10 + dh);
      const f16 = kvDtype === 'f16';
      const tg = new TestGraph(await getGpu());
      const [numBlocks, blockSize] = [16, 4];
      const n = numBlocks * blockSize * hkv * dh;
      const poolShape = [numBlocks, blockSize, hkv, dh];
      const init = [r.normal(n), r.normal(n)];
      const pools: KvPool[] = ['fused', 'unfused'].map((tag) => ({
        k: tg.tensor(`${tag}.k_cache`, poolShape, kvDtype, init[0]!, 'state'),
        v: tg.tensor(`${tag}.v_cache`, poolShape, kvDtype, init[1]!, 'state'),
      }));
      const slots = tg.tensor('slots', [T], 'u32', shuffled(numBlocks * blockSize, r).slice(0, T), 'input');
      const positions = kind === 'seq' ? Uint32Array.from({ length: T }, (_, i) => i) : Uint32Array.from(r.int(T, 32768).map((p, i) => (i === 0 ? 32767 : p)));
      const pos = tg.tensor('pos', [T], 'u32', positions, 'input');
      const invFreq = tg.tensor('inv_freq', [dh / 2], 'f32', ropeInvFreq(dh, 1e6));
      const [qw, kw] = [hq * dh, hkv * dh];
      let q, k, v;
      if (fusedQkv) {
        const stride = qw + 2 * kw + 4;
        const qkv = tg.tensor('qkv', [T, stride], 'f32', r.normal(T * stride, 2));
        [q, k, v] = [{ tensor: qkv, offset: 0, stride }, { tensor: qkv, offset: qw, stride }, { tensor: qkv, offset: qw + kw + 4, stride }];
      } else {
        [q, k, v] = [tg.tensor('q', [T, qw], 'f32', r.normal(T * qw, 2)), tg.tensor('k', [T, kw], 'f32', r.normal(T * kw, 2)), tg.tensor('v', [T, kw], 'f32', r.normal(T * kw, 2))];
      }
      const fused = ropeAppend(tg.g, q, k, v, pos, invFreq, pools[0]!, slots, { heads: hq, writeK }, 'ra');
      // The unfused composition needs plain tensors for rope: the same values, uploaded contiguous.
      const plain = (view: typeof q, width: number, tag: string) => {
        if (!('tensor' in view)) return view;
        const src = tg.env.get(view.tensor.id)!;
        const out = new Float64Array(T * width);
        for (let t = 0; t < T; t++) for (let c = 0; c < width; c++) out[t * width + c] = src[t * view.stride + view.offset + c]!;
        return tg.tensor(tag, [T, width], 'f32', out);
      };
      const r0 = rope(tg.g, plain(q, qw, 'q0'), plain(k, kw, 'k0'), pos, invFreq, 'rope');
      kvAppend(tg.g, pools[1]!, r0.k, plain(v, kw, 'v0'), slots, 'append');
      const outs = [fused.q, pools[0]!.k, pools[0]!.v, r0.q, pools[1]!.k, pools[1]!.v, ...(fused.k ? [fused.k.tensor, r0.k] : [])];
      const { got, want } = await tg.run(outs);
      // an f16 pool holds the rotated keys rounded: within rope's error plus an f16 neighbour of the float64 ones
      const stored = f16 ? TOL.f16Stored : TOL.rope;
      expectClose(`${label} q`, got.get(fused.q)!, want.get(fused.q)!, TOL.rope);
      expectClose(`${label} k_cache`, got.get(pools[0]!.k)!, want.get(pools[0]!.k)!, stored);
      expectClose(`${label} v_cache`, got.get(pools[0]!.v)!, want.get(pools[0]!.v)!, TOL.exact);
      expectClose(`${label} q vs rope`, got.get(fused.q)!, got.get(r0.q)!, TOL.exact);
      expectClose(`${label} k_cache vs rope + kv_append`, got.get(pools[0]!.k)!, got.get(pools[1]!.k)!, TOL.exact);
      expectClose(`${label} v_cache vs kv_append`, got.get(pools[0]!.v)!, got.get(pools[1]!.v)!, TOL.exact);
      // k (and, for an f16 pool, v) as the pool holds them: what prefill attends to; views of one [T, 1 or 2 · Hkv·Dh]
      const columns = (all: ArrayLike<number>, view: { offset: number; stride: number }) =>
        Float64Array.from({ length: T * kw }, (_, i) => all[Math.floor(i / kw) * view.stride + view.offset + (i % kw)]!);
      if (fused.k) {
        const [gk, wk] = [got.get(fused.k.tensor)!, want.get(fused.k.tensor)!];
        expectClose(`${label} k`, columns(gk, fused.k), columns(wk, fused.k), stored);
        expectClose(`${label} k vs rope`, columns(gk, fused.k), f16 ? Float64Array.from(got.get(r0.k)!, roundToF16) : got.get(r0.k)!, TOL.exact);
        expect(fused.k.stride).toBe(f16 ? 2 * kw : kw);
      }
      expect(!!fused.v).toBe(f16 && writeK);
      if (fused.v) {
        const [gv, wv] = [got.get(fused.v.tensor)!, want.get(fused.v.tensor)!];
        expectClose(`${label} v`, columns(gv, fused.v), columns(wv, fused.v), TOL.exact);
      }
    });
  }
});

describe('rope_append on f16 pools', () => {
  it('rejects a head dim that is not a multiple of 8, naming it', async () => {
    const tg = new TestGraph(await getGpu());
    const pool = (tag: string) => tg.tensor(tag, [2, 4, 1, 12], 'f16', new Float64Array(96), 'state');
    const x = (tag: string, w: number) => tg.tensor(tag, [1, w], 'f32', new Float64Array(w));
    const pos = tg.tensor('pos', [1], 'u32', [0], 'input');
    const invFreq = tg.tensor('inv_freq', [6], 'f32', ropeInvFreq(12, 1e6));
    expect(() => ropeAppend(tg.g, x('q', 12), x('k', 12), x('v', 12), pos, invFreq, { k: pool('k'), v: pool('v') }, pos, { heads: 1 }, 'ra')).toThrow(/head dim 12 must be a multiple of 8/);
  });
});
