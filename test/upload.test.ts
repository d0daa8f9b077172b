import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../loader/byte_source.js';
import { type Checkpoint, openCheckpoint } from '../loader/checkpoint.js';
import { parseConfig } from '../loader/config.js';
import { parseSafetensorsHeader } from '../loader/safetensors.js';
import { checkCheckpoint, expectedTensors } from '../loader/tensor_list.js';
import { loadWeights } from '../loader/load_weights.js';
import { uploadWeights } from '../loader/upload.js';
import type { Gpu } from '../runtime/device.js';
import type { Tensor } from '../runtime/tensor.js';
import { makeCheckpoint } from '../tools/checkpoint/make.js';
import { configJsonText } from '../tools/checkpoint/config_json.js';
import { presetConfig } from '../tools/checkpoint/presets.js';
import { safetensorsLayout } from '../tools/checkpoint/write_safetensors.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

const MB = 1024 * 1024;

/** Bytes [offset, offset+length) of a tensor's GPU buffer. */
async function readBack(device: GPUDevice, t: Tensor, offset = 0, length = t.storage!.size - offset): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: length, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(t.storage!.buffer, t.storage!.offset + offset, staging, 0, length);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

/** Checks GPU bytes against the file bytes for one tensor, sampling large tensors at their start, middle and end. */
async function expectSameBytes(device: GPUDevice, ckpt: Checkpoint, t: Tensor): Promise<void> {
  const entry = ckpt.tensors.get(t.name)!;
  const size = entry.end - entry.begin;
  const window = Math.min(size, MB) & ~3;
  const middle = Math.max(0, (size - window) >> 1) & ~3;
  for (const at of new Set([0, middle, (size - window) & ~3])) {
    const gpuBytes = await readBack(device, t, at, window);
    const fileBytes = await entry.source.read(entry.begin + at, window);
    expect(Buffer.compare(Buffer.from(gpuBytes), Buffer.from(fileBytes)), `${t.name} @${at}`).toBe(0);
  }
}

let gpu: Gpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

describe('uploadWeights', () => {
  it('puts the exact bytes of every tiny tensor on the GPU', async () => {
    const files = dirFiles(await tinyCheckpointDir());
    const config = parseConfig((await files.readText('config.json'))!);
    const ckpt = await openCheckpoint(files);
    checkCheckpoint(expectedTensors(config), ckpt.tensors);
    const progress: number[] = [];
    const result = await uploadWeights(gpu.device, ckpt.tensors.values(), { onProgress: (done, total) => progress.push(done / total) });
    try {
      expect(result.tensors.size).toBe(ckpt.tensors.size);
      expect(progress.at(-1)).toBe(1);
      expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
      for (const t of result.tensors.values()) {
        const entry = ckpt.tensors.get(t.name)!;
        expect(t.dtype).toBe('bf16');
        expect(t.kind).toBe('weight');
        expect(t.shape).toEqual(entry.shape);
        const gpuBytes = await readBack(gpu.device, t, 0, entry.end - entry.begin);
        const fileBytes = await entry.source.read(entry.begin, entry.end - entry.begin);
        expect(Buffer.compare(Buffer.from(gpuBytes), Buffer.from(fileBytes)), t.name).toBe(0);
      }
    } finally {
      for (const t of result.tensors.values()) t.storage!.buffer.destroy();
      await ckpt.close();
    }
  });

  it('uploads BF16 (odd length), F16, F32 and empty tensors across chunk boundaries', async () => {
    const specs = [
      { name: 'odd', dtype: 'BF16' as const, shape: [7] },
      { name: 'half', dtype: 'F16' as const, shape: [3, 5] },
      { name: 'single', dtype: 'F32' as const, shape: [9] },
      { name: 'empty', dtype: 'F32' as const, shape: [0, 4] },
    ];
    const layout = safetensorsLayout(specs);
    const bytes = new Uint8Array(layout.fileSize);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(layout.header.byteLength), true);
    bytes.set(layout.header, 8);
    for (let i = 8 + layout.header.byteLength; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    const source = bytesSource('mixed.safetensors', bytes);
    const header = await parseSafetensorsHeader(source);
    const entries = [...header.tensors.values()].map((e) => ({ ...e, source }));
    const result = await uploadWeights(gpu.device, entries, { chunkBytes: 8, syncBytes: 16 });
    expect(Object.fromEntries([...result.tensors.values()].map((t) => [t.name, [t.dtype, t.storage!.size]]))).toEqual({
      odd: ['bf16', 16],
      half: ['f16', 32],
      single: ['f32', 36],
      empty: ['f32', 4],
    });
    for (const e of entries) {
      if (e.end === e.begin) continue;
      const got = await readBack(gpu.device, result.tensors.get(e.name)!, 0, Math.ceil((e.end - e.begin) / 4) * 4);
      expect([...got.subarray(0, e.end - e.begin)], e.name).toEqual([...bytes.subarray(e.begin, e.end)]);
      expect([...got.subarray(e.end - e.begin)], `${e.name} padding`).toEqual(new Array(got.length - (e.end - e.begin)).fill(0));
    }
    for (const t of result.tensors.values()) t.storage!.buffer.destroy();
  });

  it('rejects dtypes it cannot upload, naming the file and tensor', async () => {
    const source = bytesSource('ints.safetensors', new Uint8Array(16));
    await expect(uploadWeights(gpu.device, [{ name: 'ids', dtype: 'I64', shape: [1], begin: 8, end: 16, source }])).rejects.toThrow(
      /ints\.safetensors: tensor ids: dtype I64 cannot be uploaded as a weight/,
    );
  });
});

describe('loadWeights', () => {
  it('loads a model directory in one call', async () => {
    const loaded = await loadWeights(gpu.device, dirFiles(await tinyCheckpointDir()));
    expect(loaded.config.llm_config.hidden_size).toBe(64);
    expect(loaded.generationConfig?.eos_token_id).toEqual([151644, 151645]);
    expect(loaded.tensors.size).toBe(65);
    expect(loaded.dtypes).toEqual(new Map([['BF16', 65]]));
    expect(loaded.tensors.get('language_model.lm_head.weight')!.shape).toEqual([151655, 64]);
    for (const t of loaded.tensors.values()) t.storage!.buffer.destroy();
  });

  it('rejects a checkpoint that does not match config.json before creating any buffer', async () => {
    const tiny = dirFiles(await tinyCheckpointDir());
    const fullConfig = configJsonText(presetConfig('full'));
    const files = { ...tiny, readText: async (f: string) => (f === 'config.json' ? fullConfig : tiny.readText(f)) };
    let created = 0;
    const device = new Proxy(gpu.device, {
      get: (target, key) => (key === 'createBuffer' ? () => created++ : Reflect.get(target, key, target)),
    });
    await expect(loadWeights(device, files)).rejects.toThrow(/problem\(s\) against the config's tensor list:\n[^]*\n  missing vision_model\.encoder\.layers\.2\.ls1 \[1024\]\n/);
    expect(created).toBe(0);
  });
});

// The real-size checkpoint (1.88 GB): proves the loader streams. On lavapipe the GPU buffers themselves live in
// process memory, so RSS grows by the bytes uploaded; what must stay bounded is RSS minus that (the loader's own
// footprint: read chunks, Dawn staging copies) and the JS heap + external memory.
describe('full-size checkpoint', () => {
  const dir = join(tmpdir(), `internvl-webgpu-full-upload-${process.pid}`);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams 1.88 GB to the GPU with bounded memory', async () => {
    let t0 = performance.now();
    const layout = await makeCheckpoint({ preset: 'full', seed: 3, out: dir, withoutTokenizer: true });
    const generateMs = performance.now() - t0;
    expect(layout.fileSize).toBe(1_876_395_376);

    const files = dirFiles(dir);
    const config = parseConfig((await files.readText('config.json'))!);
    const ckpt = await openCheckpoint(files);
    checkCheckpoint(expectedTensors(config), ckpt.tensors);

    // Count GPU memory as buffers are created: Dawn zero-fills a buffer at creation, so lavapipe touches all
    // 272 MB of lm_head before its first byte is uploaded.
    let allocated = 0;
    const createBuffer = gpu.device.createBuffer.bind(gpu.device);
    gpu.device.createBuffer = (d: GPUBufferDescriptor) => {
      allocated += d.size;
      return createBuffer(d);
    };
    const before = process.memoryUsage();
    let peakOverhead = 0;
    let peakBeyondBuffers = 0;
    let peakRss = 0;
    let peakJs = 0;
    const sample = (bytesDone: number) => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakOverhead = Math.max(peakOverhead, m.rss - before.rss - bytesDone);
      peakBeyondBuffers = Math.max(peakBeyondBuffers, m.rss - before.rss - allocated);
      peakJs = Math.max(peakJs, m.heapUsed + m.external);
    };
    let lastDone = 0;
    const timer = setInterval(() => sample(lastDone), 20);
    t0 = performance.now();
    const result = await uploadWeights(gpu.device, ckpt.tensors.values(), {
      onProgress: (done) => {
        lastDone = done;
        sample(done);
      },
    });
    const loadMs = performance.now() - t0;
    clearInterval(timer);
    gpu.device.createBuffer = createBuffer;
    try {
      expect(result.bytes).toBe(1_876_317_952);
      expect(result.tensors.size).toBe(637);
      const summary = {
        generateMs: Math.round(generateMs),
        loadMs: Math.round(loadMs),
        readMs: Math.round(result.readMs),
        uploadMs: Math.round(result.uploadMs),
        rssBeforeMB: Math.round(before.rss / MB),
        peakRssMB: Math.round(peakRss / MB),
        peakRssMinusUploadedMB: Math.round(peakOverhead / MB),
        peakRssMinusBuffersMB: Math.round(peakBeyondBuffers / MB),
        peakHeapPlusExternalMB: Math.round(peakJs / MB),
      };
      console.log(`[full-size upload] ${gpu.adapterName}: ${JSON.stringify(summary)}`);
      expect(peakOverhead).toBeLessThan(700 * MB);
      expect(peakBeyondBuffers).toBeLessThan(700 * MB);
      expect(peakJs).toBeLessThan(700 * MB);
      for (const name of ['language_model.lm_head.weight', 'language_model.model.embed_tokens.weight', 'vision_model.embeddings.patch_embedding.weight', 'mlp1.0.bias', 'vision_model.encoder.layers.23.mlp.fc2.weight']) {
        await expectSameBytes(gpu.device, ckpt, result.tensors.get(name)!);
      }
    } finally {
      for (const t of result.tensors.values()) t.storage!.buffer.destroy();
      await ckpt.close();
    }
  }, 600_000);
});
