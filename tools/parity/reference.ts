// Runs the PyTorch reference (tools/reference/internvl_ref.py, Debian's python3-torch) on the same checkpoint,
// token ids and pixel values, and reads back its named intermediates (an F32 safetensors file).
import type { KvDtype } from '../../runtime/ops/kv_cache.js';
import type { VisionQuantFormat } from '../../loader/quantization.js';
import type { QuantFormat } from '../../runtime/quant.js';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseSafetensorsHeader } from '../../loader/safetensors.js';
import { fileSource } from '../node/file_source.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'reference', 'internvl_ref.py');
export const PYTHON = process.env.INTERNVL_PYTHON ?? '/usr/bin/python3';

export interface ReferenceSample {
  readonly ids: readonly number[];
  readonly tileStart: number;
  readonly tiles: number;
}

export interface ReferenceRun {
  /** One list per sample. */
  readonly generated: number[][];
  readonly tensors: Map<string, Float32Array>;
  readonly timings: Record<string, number>;
}

export interface ReferenceOptions {
  /** Intermediates to write: 'all', 'none' or a comma list of names or prefixes (default 'all'). */
  readonly dump?: string;
  /** Run on the dequantized q4/q8 language-model matrices (tools/reference/quant_ref.py). */
  readonly quant?: QuantFormat;
  /** Run on the dequantized q8 vision-tower and mlp1 matrices. */
  readonly visionQuant?: VisionQuantFormat;
  /** 'f16': keys (after RoPE) and values rounded to f16 before attention, as an f16 KV cache holds them. */
  readonly kvCache?: KvDtype;
}

export async function runReference(model: string, samples: readonly ReferenceSample[], pixels: Float32Array | undefined, maxNewTokens: number, o: ReferenceOptions = {}): Promise<ReferenceRun> {
  const { dump = 'all', quant, visionQuant, kvCache } = o;
  const dir = await mkdtemp(join(tmpdir(), 'internvl-parity-'));
  try {
    const batchFile = join(dir, 'batch.json');
    await writeFile(batchFile, JSON.stringify(samples.map((s) => ({ input_ids: s.ids, tile_start: s.tileStart, num_tiles: s.tiles }))));
    const args = [SCRIPT, '--model', model, '--batch', batchFile, '--max-new-tokens', String(maxNewTokens), '--out', join(dir, 'out.safetensors'), '--dump', dump, '--threads', '2'];
    if (quant) args.push('--quant', quant);
    if (visionQuant) args.push('--quant-vision', visionQuant);
    if (kvCache === 'f16') args.push('--kv-cache', 'f16');
    if (pixels) {
      await writeFile(join(dir, 'pixels.f32'), new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
      args.push('--pixel-values', join(dir, 'pixels.f32'));
    }
    const { stdout } = await promisify(execFile)(PYTHON, args, { maxBuffer: 64 << 20 }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`PyTorch reference failed: ${e.stderr?.trim().split('\n').slice(-5).join('\n') ?? e.message}`);
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { generated_ids: number[][]; timings: Record<string, number> };
    const source = await fileSource(join(dir, 'out.safetensors'));
    const tensors = new Map<string, Float32Array>();
    try {
      const header = await parseSafetensorsHeader(source);
      for (const [name, t] of header.tensors) {
        const bytes = await source.read(t.begin, t.end - t.begin);
        tensors.set(name, new Float32Array(bytes.slice().buffer));
      }
    } finally {
      await source.close?.();
    }
    return { generated: result.generated_ids, tensors, timings: result.timings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
