// A bf16 checkpoint → a saved q4/q8 checkpoint directory (optionally with a q8 vision tower and mlp1) (`internvl quantize`): model.safetensors with
// `<name>.qweight` (U32) and `<name>.scales` (F16) for every quantized matrix (loader/quantization.ts) and every
// other tensor as it was, config.json with `quantization_config`, and the tokenizer and generation files copied.
// Streams: each matrix is read, quantized and written in chunks of whole groups (runtime/quant.ts), so memory stays
// at a few chunks plus the scales (1/32 of the weights' count, 2 bytes each).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointTensor, SINGLE_FILE, openCheckpoint } from '../../loader/checkpoint.js';
import { parseConfig } from '../../loader/config.js';
import type { ModelFiles } from '../../loader/model_files.js';
import { type QuantPlan, type VisionQuantFormat, quantFormatOf, quantizationConfig, savedParts, unquantizable } from '../../loader/quantization.js';
import { checkCheckpoint, expectedTensors } from '../../loader/tensor_list.js';
import { type QuantFormat, quantize } from '../../runtime/quant.js';
import { type TensorSpec, writeSafetensors } from '../checkpoint/write_safetensors.js';

/** Copied as they are when present. */
const SIDE_FILES = ['generation_config.json', 'tokenizer.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const CHUNK_BYTES = 16 << 20; // a multiple of 64 bytes: whole groups of 32 bf16

export interface QuantizeResult {
  readonly quantized: number;
  /** Matrices left bf16 (K not a multiple of 32). */
  readonly keptBf16: readonly string[];
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface QuantizeOptions {
  /** Quantize the vision tower and mlp1 too (q8). */
  readonly visionFormat?: VisionQuantFormat;
  readonly onProgress?: (p: { bytesDone: number; bytesTotal: number }) => void;
}

/** `format`: the language model's matrices. */
export async function quantizeCheckpoint(files: ModelFiles, format: QuantFormat, outDir: string, options: QuantizeOptions = {}): Promise<QuantizeResult> {
  const { visionFormat, onProgress } = options;
  const plan: QuantPlan = { llm: format, ...(visionFormat && { vision: visionFormat }) };
  const where = files.describe();
  const configText = await files.readText('config.json');
  if (configText === undefined) throw new Error(`${where}: config.json does not exist`);
  const config = parseConfig(configText, `${where}/config.json`);
  if (config.quantization_config) throw new Error(`${where}: already quantized (${config.quantization_config.format}); quantize the bf16 checkpoint`);
  const checkpoint = await openCheckpoint(files);
  try {
    checkCheckpoint(expectedTensors(config), checkpoint.tensors, where);
    const sources = new Map<string, { tensor: CheckpointTensor; part: 'qweight' | 'scales' | 'whole'; format?: QuantFormat }>();
    const specs: TensorSpec[] = [];
    let quantized = 0;
    for (const t of checkpoint.tensors.values()) {
      const to = quantFormatOf(t.name, t.shape, plan);
      if (to && t.dtype === 'BF16') {
        quantized++;
        for (const p of savedParts(t.name, t.shape, to)) {
          specs.push(p);
          sources.set(p.name, { tensor: t, part: p.dtype === 'U32' ? 'qweight' : 'scales', format: to });
        }
      } else {
        specs.push({ name: t.name, dtype: t.dtype, shape: t.shape });
        sources.set(t.name, { tensor: t, part: 'whole' });
      }
    }
    const bytesTotal = [...checkpoint.tensors.values()].reduce((n, t) => n + t.end - t.begin, 0);
    let bytesDone = 0;
    // Codes are written first (U32 sorts before F16 in the file); each matrix's scales wait here for their turn.
    const pendingScales = new Map<string, Uint8Array[]>();
    await mkdir(outDir, { recursive: true });
    const layout = await writeSafetensors(join(outDir, SINGLE_FILE), specs, async function* (spec) {
      const { tensor: t, part, format: to } = sources.get(spec.name)!;
      if (part === 'scales') {
        yield* pendingScales.get(t.name)!;
        pendingScales.delete(t.name);
        return;
      }
      const scales: Uint8Array[] = [];
      for (let offset = 0; offset < t.end - t.begin; offset += CHUNK_BYTES) {
        const length = Math.min(CHUNK_BYTES, t.end - t.begin - offset);
        const bytes = (await t.source.read(t.begin + offset, length)).slice(); // own, 2-aligned copy
        bytesDone += length;
        onProgress?.({ bytesDone, bytesTotal });
        if (part === 'whole') {
          yield bytes;
          continue;
        }
        const q = quantize(to!, new Uint16Array(bytes.buffer, 0, length / 2), length / 64, 32);
        yield new Uint8Array(q.qweight.buffer);
        scales.push(new Uint8Array(q.scales.buffer));
      }
      if (part === 'qweight') pendingScales.set(t.name, scales);
    });
    const json = JSON.parse(configText) as Record<string, unknown>;
    json.quantization_config = quantizationConfig(format, visionFormat);
    await writeFile(join(outDir, 'config.json'), `${JSON.stringify(json, null, 2)}\n`);
    for (const name of SIDE_FILES) {
      const text = await files.readText(name);
      if (text !== undefined) await writeFile(join(outDir, name), text);
    }
    const spm = await files.open('tokenizer.model'); // SentencePiece (InternLM2, Phi-3): binary
    if (spm) {
      try {
        await writeFile(join(outDir, 'tokenizer.model'), await spm.read(0, spm.size));
      } finally {
        await spm.close?.();
      }
    }
    return { quantized, keptBf16: unquantizable(checkpoint.tensors.values(), plan), bytesIn: bytesTotal, bytesOut: layout.fileSize };
  } finally {
    await checkpoint.close();
  }
}
