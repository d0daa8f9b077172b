import { describe, expect, it } from 'vitest';
import { type ByteSource, bytesSource } from '../loader/byte_source.js';
import { openCheckpoint } from '../loader/checkpoint.js';
import { parseConfig } from '../loader/config.js';
import { FAMILY } from '../tools/checkpoint/families.js';
import type { ModelFiles } from '../loader/model_files.js';
import { checkCheckpoint, countParameters, expectedTensors } from '../loader/tensor_list.js';
import { configJsonText } from '../tools/checkpoint/config_json.js';
import { presetConfig } from '../tools/checkpoint/presets.js';
import { regenerateTensor } from '../tools/checkpoint/random.js';
import { safetensorsLayout, type TensorSpec } from '../tools/checkpoint/write_safetensors.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { microCheckpointDir, tinyCheckpointDir } from './fixtures.js';

const fullConfig = parseConfig(configJsonText(presetConfig('full')));
const params = (prefix: string) => countParameters(expectedTensors(fullConfig).filter((t) => t.name.startsWith(prefix)));

/** An in-memory safetensors file whose bytes are their own offsets mod 251. */
function memSafetensors(specs: readonly TensorSpec[]): Uint8Array {
  const layout = safetensorsLayout(specs);
  const out = new Uint8Array(layout.fileSize);
  new DataView(out.buffer).setBigUint64(0, BigInt(layout.header.byteLength), true);
  out.set(layout.header, 8);
  for (let i = 8 + layout.header.byteLength; i < out.length; i++) out[i] = i % 251;
  return out;
}

function memFiles(files: Record<string, Uint8Array | string>): ModelFiles {
  return {
    describe: () => 'mem',
    open: async (f): Promise<ByteSource | undefined> => {
      const v = files[f];
      return v === undefined ? undefined : bytesSource(f, typeof v === 'string' ? new TextEncoder().encode(v) : v);
    },
    readText: async (f) => {
      const v = files[f];
      return v === undefined ? undefined : typeof v === 'string' ? v : new TextDecoder().decode(v);
    },
  };
}

describe('expectedTensors', () => {
  it('InternVL2-2B (InternLM2): wqkv, wo, w1/w3/w2, tok_embeddings, output; 2.2B parameters as published', () => {
    const list = expectedTensors(parseConfig(configJsonText(presetConfig('full', FAMILY['internvl2-2b']))));
    const llm = list.filter((t) => t.name.startsWith('language_model.'));
    expect(llm.length).toBe(1 + 24 * 7 + 2);
    expect(countParameters(llm)).toBe(1_889_146_880); // internlm2-chat-1_8b with InternVL's 9 added rows
    expect(countParameters(list)).toBe(2_205_754_368);
    const shape = (name: string) => list.find((t) => t.name === name)?.shape;
    expect(shape('language_model.model.tok_embeddings.weight')).toEqual([92553, 2048]);
    expect(shape('language_model.model.layers.0.attention.wqkv.weight')).toEqual([4096, 2048]); // (16 + 2·8)·128
    expect(shape('language_model.model.layers.23.feed_forward.w2.weight')).toEqual([2048, 8192]);
    expect(shape('language_model.output.weight')).toEqual([92553, 2048]);
    expect(shape('mlp1.1.weight')).toEqual([2048, 4096]);
    expect(list.some((t) => /self_attn|lm_head|embed_tokens/.test(t.name))).toBe(false);
  });

  it('InternVL2-4B (Phi-3): fused qkv_proj and gate_up_proj; 3.82B language-model parameters as published', () => {
    const list = expectedTensors(parseConfig(configJsonText(presetConfig('full', FAMILY['internvl2-4b']))));
    const llm = list.filter((t) => t.name.startsWith('language_model.'));
    expect(llm.length).toBe(1 + 32 * 6 + 2);
    expect(countParameters(llm)).toBe(3_820_809_216); // Phi-3-mini with InternVL's 9 added rows (32020)
    expect(countParameters(list)).toBe(4_146_855_936);
    const shape = (name: string) => list.find((t) => t.name === name)?.shape;
    expect(shape('language_model.model.layers.0.self_attn.qkv_proj.weight')).toEqual([9216, 3072]); // (32 + 2·32)·96
    expect(shape('language_model.model.layers.31.mlp.gate_up_proj.weight')).toEqual([16384, 3072]);
    expect(shape('language_model.lm_head.weight')).toEqual([32020, 3072]);
    expect(shape('mlp1.3.weight')).toEqual([3072, 3072]);
  });

  it('reproduces the official InternVL2-1B list (SPEC §2.2)', () => {
    const list = expectedTensors(fullConfig);
    expect(list.length).toBe(637);
    expect(new Set(list.map((t) => t.name)).size).toBe(637);
    expect(list.filter((t) => t.name.startsWith('vision_model.')).length).toBe(340);
    expect(list.filter((t) => t.name.startsWith('mlp1.')).length).toBe(6);
    expect(list.filter((t) => t.name.startsWith('language_model.')).length).toBe(291);
    expect(countParameters(list)).toBe(938_158_976);
    expect(params('vision_model.')).toBe(304_012_288);
    expect(params('mlp1.')).toBe(4_482_816);
    expect(params('language_model.')).toBe(629_663_872);
    expect(params('language_model.lm_head.')).toBe(135_882_880);
    const shape = (name: string) => list.find((t) => t.name === name)?.shape;
    expect(shape('vision_model.embeddings.position_embedding')).toEqual([1, 1025, 1024]);
    expect(shape('vision_model.embeddings.patch_embedding.weight')).toEqual([1024, 3, 14, 14]);
    expect(shape('vision_model.encoder.layers.23.attn.qkv.weight')).toEqual([3072, 1024]);
    expect(shape('mlp1.1.weight')).toEqual([896, 4096]);
    expect(shape('language_model.model.layers.0.self_attn.k_proj.weight')).toEqual([128, 896]);
    expect(shape('language_model.model.layers.23.mlp.down_proj.weight')).toEqual([896, 4864]);
  });

  it('lays out a torch-style file of exactly the official size (77,416-byte header, 1,876,395,376 bytes)', () => {
    const layout = safetensorsLayout(expectedTensors(fullConfig).map((t) => ({ ...t, dtype: 'BF16' as const })));
    expect(layout.header.byteLength).toBe(77_416);
    expect(layout.fileSize).toBe(1_876_395_376);
  });

  it('follows the config dims (micro preset)', () => {
    const micro = parseConfig(configJsonText(presetConfig('micro')));
    const list = expectedTensors(micro);
    expect(list.find((t) => t.name === 'vision_model.embeddings.position_embedding')!.shape).toEqual([1, 17, 32]);
    expect(list.find((t) => t.name === 'mlp1.1.weight')!.shape).toEqual([32, 128]);
    expect(list.find((t) => t.name === 'language_model.model.layers.1.self_attn.v_proj.weight')!.shape).toEqual([16, 32]);
  });
});

describe('checkCheckpoint', () => {
  it('lists every problem in one error', () => {
    const tiny = parseConfig(configJsonText(presetConfig('tiny')));
    const expected = expectedTensors(tiny);
    const found = new Map(expected.map((t) => [t.name, { name: t.name, dtype: 'BF16' as const, shape: t.shape }]));
    found.delete('mlp1.3.bias');
    found.delete('language_model.lm_head.weight');
    found.set('vision_model.encoder.layers.0.attn.q_norm.weight', { name: 'vision_model.encoder.layers.0.attn.q_norm.weight', dtype: 'BF16', shape: [64] });
    found.set('mlp1.1.weight', { name: 'mlp1.1.weight', dtype: 'BF16', shape: [256, 64] });
    found.set('language_model.model.norm.weight', { name: 'language_model.model.norm.weight', dtype: 'I8' as 'BF16', shape: [64] });
    let message = '';
    try {
      checkCheckpoint(expected, found, 'tiny/model.safetensors');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('tiny/model.safetensors: 5 problem(s)');
    expect(message).toContain('missing mlp1.3.bias [64]');
    expect(message).toContain('missing language_model.lm_head.weight [151655, 64]');
    expect(message).toContain('unexpected vision_model.encoder.layers.0.attn.q_norm.weight');
    expect(message).toContain('wrong shape mlp1.1.weight: expected [64, 256], found [256, 64]');
    expect(message).toContain('wrong dtype language_model.model.norm.weight: expected BF16 (or F16/F32), found I8');
  });

  it('accepts F16 and F32 weights', () => {
    const expected = [{ name: 'a', shape: [2] }, { name: 'b', shape: [2] }];
    const found = new Map([
      ['a', { name: 'a', dtype: 'F16' as const, shape: [2] }],
      ['b', { name: 'b', dtype: 'F32' as const, shape: [2] }],
    ]);
    expect(checkCheckpoint(expected, found)).toEqual(new Map([['F16', 1], ['F32', 1]]));
  });
});

describe('openCheckpoint', () => {
  it('round-trips the tiny checkpoint: every tensor present, values as generated', async () => {
    const dir = await tinyCheckpointDir();
    const files = dirFiles(dir);
    const config = parseConfig((await files.readText('config.json'))!);
    const ckpt = await openCheckpoint(files);
    try {
      const expected = expectedTensors(config);
      checkCheckpoint(expected, ckpt.tensors, dir);
      for (const t of expected) {
        const entry = ckpt.tensors.get(t.name)!;
        const bytes = await entry.source.read(entry.begin, entry.end - entry.begin);
        const bits = new Uint16Array(bytes.slice().buffer);
        const want = regenerateTensor(1, t.name, bits.length);
        expect(Buffer.compare(Buffer.from(bits.buffer), Buffer.from(want.buffer)), t.name).toBe(0);
      }
    } finally {
      await ckpt.close();
    }
  });

  it('writes realistic magnitudes (norm weights ≈ 1 and positive, ls ≈ 0.1, matrices ≈ N(0, 0.02))', async () => {
    const { unpackBf16 } = await import('../runtime/dtype.js');
    const stats = (name: string, n: number) => {
      const v = unpackBf16(regenerateTensor(7, name, n));
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      return { mean, std, min: Math.min(...v) };
    };
    const norm = stats('vision_model.encoder.layers.0.norm1.weight', 4096);
    expect(norm.mean).toBeCloseTo(1, 1);
    expect(norm.min).toBeGreaterThan(0.5);
    expect(stats('language_model.model.layers.0.input_layernorm.weight', 4096).mean).toBeCloseTo(1, 1);
    expect(stats('mlp1.0.weight', 4096).mean).toBeCloseTo(1, 1);
    expect(stats('vision_model.encoder.layers.0.ls1', 4096).mean).toBeCloseTo(0.1, 2);
    const w = stats('language_model.model.layers.0.mlp.up_proj.weight', 65536);
    expect(Math.abs(w.mean)).toBeLessThan(0.001);
    expect(w.std).toBeCloseTo(0.02, 3);
  });

  it('generates the micro preset, which passes the same checks', async () => {
    const files = dirFiles(await microCheckpointDir());
    const ckpt = await openCheckpoint(files);
    checkCheckpoint(expectedTensors(parseConfig((await files.readText('config.json'))!)), ckpt.tensors);
    await ckpt.close();
  });

  const shardA = memSafetensors([{ name: 'a', dtype: 'BF16', shape: [3] }, { name: 'b', dtype: 'F32', shape: [2, 2] }]);
  const shardB = memSafetensors([{ name: 'c', dtype: 'BF16', shape: [4] }]);
  const index = (map: Record<string, string>) => JSON.stringify({ metadata: { total_size: 30 }, weight_map: map });

  it('opens sharded checkpoints through model.safetensors.index.json', async () => {
    const ckpt = await openCheckpoint(memFiles({ 'model.safetensors.index.json': index({ a: 'm-1.safetensors', b: 'm-1.safetensors', c: 'm-2.safetensors' }), 'm-1.safetensors': shardA, 'm-2.safetensors': shardB }));
    expect([...ckpt.tensors.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(ckpt.tensors.get('c')!.source.name).toBe('m-2.safetensors');
    expect(ckpt.files).toEqual(['m-1.safetensors', 'm-2.safetensors']);
  });

  it('rejects inconsistent indexes and missing files', async () => {
    await expect(openCheckpoint(memFiles({}))).rejects.toThrow(/mem: neither model.safetensors nor model.safetensors.index.json exists/);
    await expect(openCheckpoint(memFiles({ 'model.safetensors.index.json': '{' }))).rejects.toThrow(/index.json: not valid JSON/);
    await expect(openCheckpoint(memFiles({ 'model.safetensors.index.json': '{}' }))).rejects.toThrow(/weight_map is missing/);
    await expect(openCheckpoint(memFiles({ 'model.safetensors.index.json': index({ a: 'm-1.safetensors', b: 'm-1.safetensors', c: 'm-3.safetensors' }), 'm-1.safetensors': shardA }))).rejects.toThrow(
      /shard m-3.safetensors does not exist/,
    );
    await expect(openCheckpoint(memFiles({ 'model.safetensors.index.json': index({ a: 'm-1.safetensors', c: 'm-2.safetensors' }), 'm-1.safetensors': shardA, 'm-2.safetensors': shardB }))).rejects.toThrow(
      /tensor b is in m-1.safetensors but the index does not list it/,
    );
    await expect(openCheckpoint(memFiles({ 'model.safetensors.index.json': index({ a: 'm-1.safetensors', b: 'm-1.safetensors', c: 'm-1.safetensors' }), 'm-1.safetensors': shardA }))).rejects.toThrow(
      /tensor c is listed in m-1.safetensors but that file does not contain it/,
    );
    await expect(openCheckpoint(memFiles({ 'model.safetensors.index.json': index({ a: '../x.safetensors' }) }))).rejects.toThrow(/tensor a: bad shard file name/);
  });
});
