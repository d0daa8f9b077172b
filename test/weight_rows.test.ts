// Load-time row surgery on GPU weights (model/weight_rows.ts and its users): InternLM2's per-group wqkv reordered to
// [q; k; v], Phi-3's gate_up_proj split into views or copies, Qwen2's q/k/v joined — values and, for q4, codes and
// scales checked against host arrays arranged by independent loops.
import { beforeAll, describe, expect, it } from 'vitest';
import type { LlmConfig } from '../loader/config.js';
import type { Gpu } from '../runtime/device.js';
import { packBf16 } from '../runtime/dtype.js';
import { quantize } from '../runtime/quant.js';
import { quantizedTensor } from '../runtime/quant_tensor.js';
import type { Tensor } from '../runtime/tensor.js';
import { readRange, tensorFromValues } from '../runtime/upload.js';
import { prepareInternLM2 } from '../model/internlm2.js';
import { preparePhi3 } from '../model/phi3.js';
import { prepareQwen2 } from '../model/qwen2.js';
import { getGpu, rng } from './harness.js';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getGpu();
});

const read32 = async (t: Tensor) => new Uint32Array(await readRange(gpu, t.storage!));
const read16 = async (t: Tensor) => new Uint16Array(await readRange(gpu, t.storage!));
/** Rows [r0, r0 + n) of a row-major host array of `width` elements per row. */
const rows = <T extends Uint32Array | Uint16Array | Float32Array>(a: T, width: number, r0: number, n: number) => a.slice(r0 * width, (r0 + n) * width) as T;
const concat = (parts: ArrayLike<number>[]) => parts.flatMap((p) => [...Array.from(p)]);
const config = (heads: number, kvHeads: number, dh: number, intermediate = 8): LlmConfig => ({ architectures: [], vocab_size: 1, hidden_size: heads * dh, num_hidden_layers: 1, num_attention_heads: heads, num_key_value_heads: kvHeads, intermediate_size: intermediate, hidden_act: 'silu', rms_norm_eps: 1e-6, rope_theta: 1e4, max_position_embeddings: 64, tie_word_embeddings: false });

describe('InternLM2 wqkv: per kv group [q heads…, k, v] → [all q; all k; all v]', () => {
  for (const [heads, kvHeads, dh] of [[4, 2, 3], [6, 3, 2], [4, 4, 5], [8, 1, 4]] as const) {
    it(`${heads} query heads, ${kvHeads} kv heads, head_dim ${dh} (f32 values)`, async () => {
      const c = config(heads, kvHeads, dh);
      const K = 7;
      const rowsTotal = (heads + 2 * kvHeads) * dh;
      const values = Float32Array.from({ length: rowsTotal * K }, (_, i) => i);
      const name = 'language_model.model.layers.0.attention.wqkv.weight';
      const out = await prepareInternLM2(gpu, new Map([[name, tensorFromValues(gpu, name, [rowsTotal, K], 'f32', values)]]), c);
      const groups = heads / kvHeads;
      const block = (h: number, slot: number) => rows(values, K, (h * (groups + 2) + slot) * dh, dh);
      const want = concat([
        ...Array.from({ length: heads }, (_, i) => block(Math.floor(i / groups), i % groups)), // query head i = h·groups + j
        ...Array.from({ length: kvHeads }, (_, h) => block(h, groups)),
        ...Array.from({ length: kvHeads }, (_, h) => block(h, groups + 1)),
      ]);
      expect([...new Float32Array((await read32(out.get(name)!)).buffer)]).toEqual(want);
    });
  }

  it('q4: the codes and the scales of every row move together', async () => {
    const c = config(4, 2, 2);
    const K = 64;
    const rowsTotal = (4 + 4) * 2;
    const q = quantize('q4', packBf16(rng(3).normal(rowsTotal * K)), rowsTotal, K);
    const name = 'language_model.model.layers.3.attention.wqkv.weight';
    const out = (await prepareInternLM2(gpu, new Map([[name, quantizedTensor(gpu, name, q)]]), c)).get(name)!;
    const order = [0, 1, 4, 5, 2, 6, 3, 7]; // head blocks: g0 q0 q1, g1 q0 q1, k0, k1, v0, v1 (2 rows each)
    const arrange = <T extends Uint32Array | Uint16Array>(a: T, width: number) => concat(order.map((b) => rows(a, width, b * 2, 2)));
    expect([...(await read32(out))]).toEqual(arrange(q.qweight, K / 8));
    expect([...(await read16(out.scales!))]).toEqual(arrange(q.scales, K / 32));
    expect(out.shape).toEqual([rowsTotal, K]);
  });
});

describe('Phi-3 gate_up_proj → gate and up halves', () => {
  it('views of the same buffer where the halves start at a bindable offset', async () => {
    const F = gpu.limits.minStorageBufferOffsetAlignment / 4; // f32 rows of one element: the up half starts aligned
    const values = Float32Array.from({ length: 2 * F }, (_, i) => i + 0.5);
    const name = 'language_model.model.layers.0.mlp.gate_up_proj.weight';
    const src = tensorFromValues(gpu, name, [2 * F, 1], 'f32', values);
    const out = await preparePhi3(gpu, new Map([[name, src]]), config(1, 1, 2, F));
    const [gate, up] = ['gate', 'up'].map((h) => out.get(`language_model.model.layers.0.mlp.gate_up_proj.${h}`)!);
    expect(out.has(name)).toBe(false);
    expect(gate!.storage!.buffer).toBe(src.storage!.buffer);
    expect(up!.storage!.buffer).toBe(src.storage!.buffer);
    expect([...new Float32Array((await read32(gate!)).buffer)]).toEqual([...values.slice(0, F)]);
    expect([...new Float32Array((await read32(up!)).buffer)]).toEqual([...values.slice(F)]);
  });

  it('copies where a half would start unaligned (q4: the scales rows decide); rows off 4-byte words are refused', async () => {
    const F = 6;
    const K = 32;
    const q = quantize('q4', packBf16(rng(5).normal(2 * F * K)), 2 * F, K); // scales rows of 2 bytes: up's start at byte 12
    const name = 'language_model.model.layers.1.mlp.gate_up_proj.weight';
    const src = quantizedTensor(gpu, name, q);
    const out = await preparePhi3(gpu, new Map([[name, src]]), config(1, 1, 2, F));
    const up = out.get('language_model.model.layers.1.mlp.gate_up_proj.up')!;
    const gate = out.get('language_model.model.layers.1.mlp.gate_up_proj.gate')!;
    expect(up.storage!.buffer).not.toBe(src.storage!.buffer);
    expect([...(await read32(gate))]).toEqual([...rows(q.qweight, K / 8, 0, F)]);
    expect([...(await read32(up))]).toEqual([...rows(q.qweight, K / 8, F, F)]);
    expect([...(await read16(up.scales!))]).toEqual([...rows(q.scales, K / 32, F, F)]);
    const odd = quantize('q4', packBf16(rng(6).normal(2 * 3 * K)), 2 * 3, K); // 3 scales rows: 6 bytes
    await expect(preparePhi3(gpu, new Map([[name, quantizedTensor(gpu, name, odd)]]), config(1, 1, 2, 3))).rejects.toThrow(/gate_up_proj\.gate: rows of .*gate_up_proj\.weight\.scales \(2 bytes each\) do not fall on 4-byte words/);
  });
});

describe('Qwen2 q/k/v_proj → qkv_proj', () => {
  it('rows [q; k; v] of the weights and the biases; a missing part is named', async () => {
    const p = 'language_model.model.layers.0.self_attn';
    const t = (n: string, shape: number[], base: number) => [`${p}.${n}`, tensorFromValues(gpu, `${p}.${n}`, shape, 'f32', Array.from({ length: shape[0]! * (shape[1] ?? 1) }, (_, i) => base + i))] as const;
    const parts = new Map([t('q_proj.weight', [4, 2], 0), t('k_proj.weight', [2, 2], 100), t('v_proj.weight', [2, 2], 200), t('q_proj.bias', [4], 300), t('k_proj.bias', [2], 400), t('v_proj.bias', [2], 500)]);
    const out = await prepareQwen2(gpu, parts);
    expect([...new Float32Array((await read32(out.get(`${p}.qkv_proj.weight`)!)).buffer)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 102, 103, 200, 201, 202, 203]);
    expect([...new Float32Array((await read32(out.get(`${p}.qkv_proj.bias`)!)).buffer)]).toEqual([300, 301, 302, 303, 400, 401, 500, 501]);
    expect([...out.keys()].filter((k) => /\.[qkv]_proj\./.test(k))).toEqual([]);
    const missing = new Map([t('q_proj.weight', [4, 2], 0), t('v_proj.weight', [2, 2], 200)]);
    await expect(prepareQwen2(gpu, missing)).rejects.toThrow(/qkv_proj\.weight needs language_model\.model\.layers\.0\.self_attn\.k_proj\.weight, which the checkpoint lacks/);
  });
});
