// Quantized checkpoints end to end on the tiny checkpoint: `internvl generate --quant q4|q8 --json --logits-out`
// against the PyTorch reference that applies the same rules independently (tools/reference/quant_ref.py);
// `internvl quantize` writes a checkpoint (.qweight U32, .scales F16, quantization_config) that loads with no
// conversion into bit-identical logits and tokens; the GPU holds the smaller weights; misuse is a clear error.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../loader/checkpoint.js';
import { isQuantizable, parseQuantizationConfig, quantFormatOf, unquantizable } from '../loader/quantization.js';
import { loadModel } from '../model/load.js';
import { diff, formatTable } from '../tools/parity/compare.js';
import { runReference } from '../tools/parity/reference.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const BIN = join(root, 'tools', 'internvl.ts');
let dir: string;
let model: string;

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' };
  delete env.INTERNVL_PROFILE;
  return promisify(execFile)('npx', ['tsx', BIN, ...args], { cwd: root, env, maxBuffer: 16 << 20 });
}

async function failing(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await cli(...args);
  } catch (e) {
    return e as { code: number; stderr: string };
  }
  throw new Error(`internvl ${args.join(' ')} succeeded`);
}

/** `generate --json --logits-out`: the prompt ids, generated ids and last-position logits. */
async function generate(modelDir: string, ...extra: string[]) {
  const logits = join(dir, `logits-${Math.random().toString(36).slice(2)}.f32`);
  const { stdout } = await cli('generate', '--model', modelDir, '--prompt', 'Hello, who are you?', '--max-new-tokens', '8', '--json', '--logits-out', logits, ...extra);
  const out = JSON.parse(stdout) as { prompt_ids: number[]; ids: number[] };
  return { ...out, logits: new Float32Array((await readFile(logits)).buffer.slice(0)) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quant-ckpt-'));
  model = await tinyCheckpointDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('quantized language model', () => {
  for (const quant of ['q4', 'q8'] as const) {
    it(`generate --quant ${quant} matches the PyTorch reference on the same rules (logits and greedy tokens)`, async () => {
      const ours = await generate(model, '--quant', quant);
      const ref = await runReference(model, [{ ids: ours.prompt_ids, tileStart: 0, tiles: 0 }], undefined, 8, { dump: 'logits', quant });
      const want = ref.tensors.get('logits') ?? ref.tensors.get('sample0.logits');
      expect(want, 'reference logits').toBeDefined();
      const d = diff(`logits ${quant}`, ours.logits, want!); // max|ours − ref| / max|ref| ≤ PARITY_REL_TOL
      expect(d.ok, formatTable([d])).toBe(true);
      expect(ours.ids).toEqual(ref.generated[0]);
    }, 120_000);
  }
  it('generate --quant q4 --kv-cache f16 matches the reference that also rounds keys and values to float16', async () => {
    const ours = await generate(model, '--quant', 'q4', '--kv-cache', 'f16');
    const ref = await runReference(model, [{ ids: ours.prompt_ids, tileStart: 0, tiles: 0 }], undefined, 8, { dump: 'logits', quant: 'q4', kvCache: 'f16' });
    const want = ref.tensors.get('logits') ?? ref.tensors.get('sample0.logits');
    // 2e-5, not PARITY_REL_TOL: an f32 cache is ~1e-4 off this reference (test/parity.test.ts), an f16 one ~1e-6
    const d = diff('logits q4, f16 KV', ours.logits, want!, 2e-5);
    expect(d.ok, formatTable([d])).toBe(true);
    expect(ours.ids).toEqual(ref.generated[0]);
    expect(await failing('generate', '--model', model, '--kv-cache', 'f8', '--prompt', 'Hi')).toMatchObject({ code: 2, stderr: expect.stringContaining('--kv-cache f8: expected f16 or f32') });
  }, 120_000);

  it('internvl quantize writes a checkpoint that loads without conversion into the same logits and tokens', async () => {
    const out = join(dir, 'tiny-q4');
    const { stdout, stderr } = await cli('quantize', '--model', model, '--quant', 'q4', '--out', out);
    expect(stdout.trim()).toBe(out);
    expect(stderr).toMatch(/^q4: 16 matrices, [\d.]+ MB → [\d.]+ MB\n$/);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.quantization_config).toEqual({ quant_method: 'internvl-webgpu', format: 'q4', group_size: 32 });
    const ckpt = await openCheckpoint(dirFiles(out));
    try {
      const t = (name: string) => ckpt.tensors.get(name);
      expect(t('language_model.lm_head.weight.qweight')).toMatchObject({ dtype: 'U32', shape: [151655, 8] });
      expect(t('language_model.lm_head.weight.scales')).toMatchObject({ dtype: 'F16', shape: [151655, 2] });
      expect(t('language_model.model.layers.0.mlp.down_proj.weight.qweight')).toMatchObject({ dtype: 'U32', shape: [64, 16] });
      expect(t('language_model.lm_head.weight')).toBeUndefined();
      expect(t('mlp1.1.weight')?.dtype).toBe('BF16'); // the projector and the vision tower stay bf16
      expect(t('vision_model.encoder.layers.0.mlp.fc1.weight')?.dtype).toBe('BF16');
    } finally {
      await ckpt.close();
    }
    const [atLoad, saved] = [await generate(model, '--quant', 'q4'), await generate(out)];
    expect(saved.ids).toEqual(atLoad.ids);
    expect(Buffer.from(saved.logits.buffer).equals(Buffer.from(atLoad.logits.buffer))).toBe(true);
    expect((await generate(out, '--quant', 'q4')).ids).toEqual(atLoad.ids); // the same format: allowed, a no-op

    const gpu = await nodeGpu();
    const [bf16, q4] = [await loadModel(gpu, dirFiles(model)), await loadModel(gpu, dirFiles(out))];
    expect(q4.quantization).toEqual({ format: 'q4', visionFormat: 'bf16', saved: true, tensors: 12, keptBf16: [] }); // 2 layers × 5 (q/k/v joined) + embed + head
    expect(q4.weightBytes).toBeLessThan(0.45 * bf16.weightBytes);
    bf16.destroy();
    q4.destroy();

    const wrong = await failing('generate', '--model', out, '--quant', 'q8', '--prompt', 'Hi');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the checkpoint is saved as q4; it cannot be loaded as q8');
    const again = await failing('quantize', '--model', out, '--quant', 'q8', '--out', join(dir, 'twice'));
    expect(again.stderr).toContain('already quantized (q4)');
  }, 300_000);

  it('bad --quant values are usage errors', async () => {
    const r = await failing('generate', '--model', model, '--quant', 'q5', '--prompt', 'Hi');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--quant q5: expected q4 or q8');
    expect((await failing('quantize', '--model', model, '--out', join(dir, 'x'))).stderr).toContain('--quant q4|q8 is required');
  });

  it('which tensors quantize: language-model matrices with K % 32 == 0, never the vision tower or mlp1', () => {
    expect(isQuantizable('language_model.model.layers.3.self_attn.q_proj.weight', [896, 896])).toBe(true);
    expect(isQuantizable('language_model.model.embed_tokens.weight', [151655, 896])).toBe(true);
    expect(isQuantizable('language_model.model.layers.3.self_attn.q_proj.bias', [896])).toBe(false);
    expect(isQuantizable('language_model.model.norm.weight', [896])).toBe(false);
    expect(isQuantizable('mlp1.1.weight', [896, 4096])).toBe(false);
    expect(isQuantizable('vision_model.encoder.layers.0.attn.qkv.weight', [3072, 1024])).toBe(false);
    expect(unquantizable([{ name: 'language_model.model.layers.0.mlp.down_proj.weight', shape: [896, 4850] }, { name: 'language_model.lm_head.weight', shape: [10, 64] }], { llm: 'q4' })).toEqual(['language_model.model.layers.0.mlp.down_proj.weight']);
  });
});

describe('quantized vision tower and mlp1 (q8, asked for)', () => {
  it('which tensors: 2-D vision_model.*.weight and mlp1.*.weight with K % 32 == 0; the 4-D patch embedding stays', () => {
    const plan = { llm: 'q4', vision: 'q8' } as const;
    expect(quantFormatOf('vision_model.encoder.layers.0.attn.qkv.weight', [3072, 1024], plan)).toBe('q8');
    expect(quantFormatOf('vision_model.encoder.layers.0.mlp.fc2.weight', [1024, 4096], plan)).toBe('q8');
    expect(quantFormatOf('mlp1.1.weight', [896, 4096], plan)).toBe('q8');
    expect(quantFormatOf('mlp1.1.bias', [896], plan)).toBeUndefined();
    expect(quantFormatOf('mlp1.0.weight', [4096], plan)).toBeUndefined(); // the projector's LayerNorm
    expect(quantFormatOf('vision_model.embeddings.patch_embedding.weight', [1024, 3, 14, 14], plan)).toBeUndefined();
    expect(quantFormatOf('vision_model.encoder.layers.0.norm1.weight', [1024], plan)).toBeUndefined();
    expect(quantFormatOf('language_model.model.layers.0.mlp.up_proj.weight', [4864, 896], plan)).toBe('q4');
    expect(quantFormatOf('vision_model.encoder.layers.0.attn.qkv.weight', [3072, 1024], { llm: 'q4' })).toBeUndefined();
    expect(quantFormatOf('language_model.model.layers.0.mlp.up_proj.weight', [4864, 896], { vision: 'q8' })).toBeUndefined();
    expect(unquantizable([{ name: 'mlp1.3.weight', shape: [896, 900] }, { name: 'language_model.lm_head.weight', shape: [10, 70] }], { vision: 'q8' })).toEqual(['mlp1.3.weight']);
  });

  it('quantization_config: vision_format q8 is read; another vision format, or a key this runtime did not write, is refused', () => {
    const base = { quant_method: 'internvl-webgpu', format: 'q4', group_size: 32 };
    expect(parseQuantizationConfig({ quantization_config: { ...base, vision_format: 'q8' } }, 'c')).toEqual({ ...base, vision_format: 'q8' });
    expect(parseQuantizationConfig({ quantization_config: base }, 'c')).toEqual(base);
    expect(() => parseQuantizationConfig({ quantization_config: { ...base, vision_format: 'q4' } }, 'c')).toThrow(/not supported.*"vision_format": "q8"/);
    expect(() => parseQuantizationConfig({ quantization_config: { ...base, modules_to_not_convert: [] } }, 'c')).toThrow(/not supported/);
  });

  it('generate --quant q4 --quant-vision q8 on an image; internvl quantize --quant-vision q8 saves it; misuse is a clear error', async () => {
    const out = join(dir, 'tiny-q4-vq8');
    const { stderr } = await cli('quantize', '--model', model, '--quant', 'q4', '--quant-vision', 'q8', '--out', out);
    expect(stderr).toMatch(/^q4 \(vision q8\): 26 matrices, /); // 16 language-model + 2 layers × 4 + mlp1's 2
    expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).quantization_config).toEqual({ quant_method: 'internvl-webgpu', format: 'q4', group_size: 32, vision_format: 'q8' });
    const ckpt = await openCheckpoint(dirFiles(out));
    try {
      const t = (name: string) => ckpt.tensors.get(name);
      expect(t('vision_model.encoder.layers.0.mlp.fc1.weight.qweight')).toMatchObject({ dtype: 'U32', shape: [128, 16] }); // q8: K/4 words
      expect(t('vision_model.encoder.layers.0.mlp.fc1.weight.scales')).toMatchObject({ dtype: 'F16', shape: [128, 2] });
      expect(t('mlp1.1.weight.qweight')).toMatchObject({ dtype: 'U32', shape: [64, 64] });
      expect(t('language_model.lm_head.weight.qweight')).toMatchObject({ dtype: 'U32', shape: [151655, 8] }); // q4: K/8
      expect(t('vision_model.embeddings.patch_embedding.weight')?.dtype).toBe('BF16');
    } finally {
      await ckpt.close();
    }
    const image = ['--image', join(root, 'tools', 'demo', 'example.png')];
    const [atLoad, saved, plain] = [await generate(model, '--quant', 'q4', '--quant-vision', 'q8', ...image), await generate(out, ...image), await generate(model, '--quant', 'q4', ...image)];
    expect(saved.ids).toEqual(atLoad.ids);
    expect(Buffer.from(saved.logits.buffer).equals(Buffer.from(atLoad.logits.buffer))).toBe(true);
    expect(Buffer.from(plain.logits.buffer).equals(Buffer.from(atLoad.logits.buffer)), 'the vision tower was not quantized').toBe(false);

    const gpu = await nodeGpu();
    const [q4, both] = [await loadModel(gpu, dirFiles(model), { quant: 'q4' }), await loadModel(gpu, dirFiles(out))];
    expect(both.quantization).toEqual({ format: 'q4', visionFormat: 'q8', saved: true, tensors: 22, keptBf16: [] });
    const visionBytes = (m: typeof q4) => [...Object.values(m.weights.mlp1), ...m.weights.vision_model.encoder.layers.flatMap((l) => [l.attn.qkv, l.attn.proj, l.mlp.fc1, l.mlp.fc2])]
      .reduce((n, lin) => n + (lin.weight.storage?.size ?? 0) + (lin.weight.scales?.storage?.size ?? 0), 0);
    expect(visionBytes(both)).toBeLessThan(0.6 * visionBytes(q4)); // 1 byte + 2/32 for scales against 2
    q4.destroy();
    both.destroy();

    expect((await failing('generate', '--model', model, '--quant-vision', 'q4', '--prompt', 'Hi'))).toMatchObject({ code: 2, stderr: expect.stringContaining('--quant-vision q4: expected q8') });
    const q4Only = join(dir, 'tiny-q4-only');
    await cli('quantize', '--model', model, '--quant', 'q4', '--out', q4Only);
    const wrong = await failing('generate', '--model', q4Only, '--quant-vision', 'q8', '--prompt', 'Hi');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the checkpoint is saved with a bf16 vision tower; it cannot be loaded with q8');
  }, 300_000);
});
