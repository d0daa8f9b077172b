// Options shared by `internvl chat` and `internvl generate`: the model source, media, generation settings, and
// what goes to stderr (nothing by default but progress bars on a terminal; --verbose adds adapter and timings).
import type { GenerationOptions } from '../../model/generate.js';
import type { KvDtype } from '../../runtime/ops/kv_cache.js';
import type { VisionQuantFormat } from '../../loader/quantization.js';
import type { QuantFormat } from '../../runtime/quant.js';
import { describeProfile } from '../../runtime/device_profile.js';
import { InternVL } from '../node/internvl.js';
import { type ProgressStream, progressBar } from '../node/progress_bar.js';
import { type Options, type Parsed, UsageError, VERBOSE } from './args.js';

export const MODEL_OPTIONS: Options = {
  model: { type: 'string', value: 'DIR|REPO', help: 'a model directory or a Hugging Face repo id (e.g. OpenGVLab/InternVL2-1B)' },
  revision: { type: 'string', value: 'REV', help: 'hub branch, tag or commit (default main)' },
  quant: { type: 'string', value: 'q4|q8', help: 'quantize the language model while loading (groups of 32; a saved quantized checkpoint needs none)' },
  'quant-vision': { type: 'string', value: 'q8', help: 'quantize the vision tower and mlp1 too (off by default: OCR-heavy use is sensitive to them)' },
  image: { type: 'string', value: 'FILE', repeat: true, help: 'an image; several are Image-1: <image>, Image-2: <image>, …' },
  'combine-images': { type: 'boolean', help: 'all images\' tiles under one <image>' },
  'max-tiles': { type: 'number', help: 'max_num of the dynamic tiling (default: config max_dynamic_patch)' },
  video: { type: 'string', value: 'FILE', help: 'a video: frames picked by get_index, Frame1: <image>, …' },
  frames: { type: 'number', help: 'frames taken from --video (default 8)' },
  'max-new-tokens': { type: 'number', help: 'answer length limit (default 1024)' },
  'max-context': { type: 'number', help: 'longest prompt + answer the KV cache holds (default 4096)' },
  'kv-cache': { type: 'string', value: 'f32|f16', help: 'how the KV cache stores keys and values (default f32; f16 halves its memory)' },
  temperature: { type: 'number', value: 'T', help: 'sample with this temperature (greedy unless a sampling option is given)' },
  'top-p': { type: 'number', value: 'P', help: 'nucleus sampling' },
  'top-k': { type: 'number', value: 'K', help: 'top-k sampling (default 50 when sampling)' },
  'repetition-penalty': { type: 'number', value: 'R', help: 'HF repetition penalty (default 1)' },
  seed: { type: 'number', value: 'S', help: 'sampling seed' },
  system: { type: 'string', value: 'TEXT', help: 'system message (default the model card\'s)' },
  ...VERBOSE,
};

/**
 * stderr as the progress bar sees it. bin/internvl runs the CLI with stderr piped through its filter, and tells
 * it whether the real stderr is a terminal (INTERNVL_STDERR_COLUMNS).
 */
export function stderr(): ProgressStream {
  const columns = Number(process.env.INTERNVL_STDERR_COLUMNS);
  const isTTY = process.stderr.isTTY || columns > 0;
  return { write: (text: string) => process.stderr.write(text), isTTY, columns: process.stderr.columns ?? (columns || 80) };
}

/** Progress on a terminal or with --verbose; silent when stderr is a file or a pipe (scripts, CI, --json). */
export function progress(args: Parsed) {
  const stream = stderr();
  return stream.isTTY || args.verbose ? progressBar(stream) : undefined;
}

export function verboseLog(args: Parsed): (line: string) => void {
  return args.verbose ? (line) => void process.stderr.write(`${line}\n`) : () => {};
}

export function requiredModel(args: Parsed): string {
  const source = args.model as string | undefined;
  if (!source) throw new UsageError('--model DIR|REPO is required (e.g. --model OpenGVLab/InternVL2-1B)');
  return source;
}

/** --quant, checked. */
export function quantOption(args: Parsed): QuantFormat | undefined {
  const q = args.quant as string | undefined;
  if (q !== undefined && q !== 'q4' && q !== 'q8') throw new UsageError(`--quant ${q}: expected q4 or q8`);
  return q;
}

/** --quant-vision, checked. */
export function visionQuantOption(args: Parsed): VisionQuantFormat | undefined {
  const q = args.quantVision as string | undefined;
  if (q !== undefined && q !== 'q8') throw new UsageError(`--quant-vision ${q}: expected q8 (the vision tower takes q8 only)`);
  return q;
}

/** --kv-cache, checked. */
export function kvCacheOption(args: Parsed): KvDtype | undefined {
  const kv = args.kvCache as string | undefined;
  if (kv !== undefined && kv !== 'f32' && kv !== 'f16') throw new UsageError(`--kv-cache ${kv}: expected f16 or f32`);
  return kv;
}

export async function openModel(args: Parsed): Promise<InternVL> {
  const quant = quantOption(args);
  const visionQuant = visionQuantOption(args);
  const kvCache = kvCacheOption(args);
  const bar = progress(args);
  const log = verboseLog(args);
  const t0 = performance.now();
  const model = await InternVL.load(requiredModel(args), {
    ...(args.revision !== undefined && { revision: args.revision as string }),
    ...(args.maxContext !== undefined && { maxContext: args.maxContext as number }),
    ...(args.maxBatch !== undefined && { maxBatch: args.maxBatch as number }),
    ...(quant && { quant }),
    ...(visionQuant && { visionQuant }),
    ...(kvCache && { kvCache }),
    ...(bar && { onProgress: (p: { file?: string; bytesDone: number; bytesTotal: number }) => bar({ file: p.file ?? 'weights → GPU', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }) }),
  });
  const { gpu, timings, weightBytes, quantization: q } = model.model;
  log(`adapter: ${gpu.adapterName}`);
  log(`profile: ${describeProfile(gpu.profile)}`);
  if (q.visionFormat !== 'bf16') log(`vision tower and mlp1 ${q.visionFormat} (${q.saved ? 'saved quantized' : 'quantized while loading'})`);
  if (q.format !== 'bf16') log(`language model ${q.format} (${q.saved ? 'saved quantized' : 'quantized while loading'}): ${q.tensors} matrices${q.keptBf16.length ? `; kept bf16 (K not a multiple of 32): ${q.keptBf16.join(', ')}` : ''}`);
  log(`loaded ${(weightBytes / 1e6).toFixed(1)} MB of weights in ${(performance.now() - t0).toFixed(0)} ms (read ${timings.readMs.toFixed(0)} ms, upload ${timings.uploadMs.toFixed(0)} ms)`);
  return model;
}

/** Greedy unless a sampling option is given, so runs are reproducible by default. */
export function generationOptions(args: Parsed, defaultMaxNew = 1024): GenerationOptions {
  const sampling = args.temperature !== undefined || args.topP !== undefined || args.topK !== undefined;
  return {
    maxNewTokens: (args.maxNewTokens as number | undefined) ?? defaultMaxNew,
    doSample: sampling,
    ...(args.temperature !== undefined && { temperature: args.temperature as number }),
    ...(args.topP !== undefined && { topP: args.topP as number }),
    topK: (args.topK as number | undefined) ?? (sampling ? 50 : 0),
    ...(args.repetitionPenalty !== undefined && { repetitionPenalty: args.repetitionPenalty as number }),
    ...(args.seed !== undefined && { seed: args.seed as number }),
  };
}

export function mediaOptions(args: Parsed) {
  return {
    images: (args.image as string[] | undefined) ?? [],
    ...(args.maxTiles !== undefined && { maxTiles: args.maxTiles as number }),
    ...(args.combineImages !== undefined && { combineImages: args.combineImages as boolean }),
    ...(args.video !== undefined && { video: args.video as string }),
    ...(args.frames !== undefined && { frames: args.frames as number }),
  };
}
