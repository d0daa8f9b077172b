import { describe, expect, it } from 'vitest';
import { rope } from '../../runtime/ops/rope.js';
import { ropeInvFreq } from '../../runtime/reference/elementwise.js';
import { TestGraph, checkGraph, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// f32 bit patterns of HF's inv_freq for head_dim 64, rope_theta 1e6, printed by torch 2 (CPU):
// 1.0 / (base ** (torch.arange(0, 64, 2, dtype=torch.int64).float() / 64)).view(torch.int32)
const HF_INV_FREQ_BITS = [
  1065353216, 1059470816, 1054337179, 1049376004, 1043732615, 1038909398, 1033475085, 1028093503, 1023510243, 1017657739, 1012562930,
  1007542573, 1001931932, 997151246, 991652109, 986306396, 981668463, 975846212, 970790693, 965710450, 960132947, 955395298, 949830564,
  944521150, 939827890, 934036253, 929020495, 923879651, 918335681, 913641584, 908010468, 902737785,
];

// [T, Hq, Hkv, Dh, position kind]: degenerate, odd (Dh/2 = 3, 5 heads), and the real Qwen2 shapes
// (14 q heads, 2 kv heads, Dh 64) for a prefill from 0 and for tokens far out (up to 32767).
const CASES: [number, number, number, number, 'seq' | 'far'][] = [
  [1, 1, 1, 2, 'seq'],
  [5, 5, 3, 6, 'seq'],
  [7, 3, 1, 10, 'far'],
  [37, 14, 2, 64, 'seq'],
  [33, 14, 2, 64, 'far'],
];

describe('rope', () => {
  it('inv_freq is bit-identical to HF in float32', () => {
    expect([...new Int32Array(ropeInvFreq(64, 1e6).buffer)]).toEqual(HF_INV_FREQ_BITS);
  });

  for (const [T, hq, hkv, dh, kind] of CASES) {
    it(`q [${T}, ${hq}·${dh}], k [${T}, ${hkv}·${dh}], positions ${kind}`, async () => {
      const r = rng(T * 1000 + hq * 10 + dh);
      const tg = new TestGraph(await getGpu());
      const q = tg.tensor('q', [T, hq * dh], 'f32', r.normal(T * hq * dh, 2));
      const k = tg.tensor('k', [T, hkv * dh], 'f32', r.normal(T * hkv * dh, 2));
      const positions = kind === 'seq' ? Uint32Array.from({ length: T }, (_, i) => i) : Uint32Array.from(r.int(T, 32768).map((p, i) => (i === 0 ? 32767 : p)));
      const pos = tg.tensor('pos', [T], 'u32', positions, 'input');
      const invFreq = tg.tensor('inv_freq', [dh / 2], 'f32', ropeInvFreq(dh, 1e6));
      const out = rope(tg.g, q, k, pos, invFreq, 'rope');
      await checkGraph(tg, [out.q, out.k], TOL.rope, `rope T ${T} Dh ${dh} ${kind}`);
    });
  }
});
