// Loading an InternVL checkpoint onto the GPU from any ModelFiles (a Node directory, the HF cache, a URL):
// config → header check against the config's tensor list (before any GPU work) → streamed upload →
// f32 vectors → the typed weight tree; plus the tokenizer and generation defaults. Browser-safe.
import { openCheckpoint } from '../loader/checkpoint.js';
import { type GenerationConfig, type InternVLChatConfig, parseConfig, parseGenerationConfig } from '../loader/config.js';
import type { ModelFiles } from '../loader/model_files.js';
import { checkCheckpoint, expectedTensors } from '../loader/tensor_list.js';
import { uploadWeights } from '../loader/upload.js';
import type { Gpu } from '../runtime/device.js';
import { pipelineCompileMs } from '../runtime/kernel.js';
import { type QwenTokenizer, type TokenizerFiles, loadTokenizer } from '../tokenizer/tokenizer.js';
import { type InternVLWeights, prepareWeights, weightTree } from './weights.js';

export interface LoadedModel {
  readonly gpu: Gpu;
  readonly config: InternVLChatConfig;
  readonly generationConfig: GenerationConfig;
  readonly weights: InternVLWeights;
  readonly tokenizer: QwenTokenizer;
  /** Bytes of weights on the GPU. */
  readonly weightBytes: number;
  readonly timings: LoadTimings;
}

export interface LoadTimings {
  /** Waiting for file/network reads that the upload could not overlap. */
  readMs: number;
  /** createBuffer/writeBuffer and queue drains. */
  uploadMs: number;
  /** Shader modules and pipelines (filled in as graphs are first planned; see model warm-up). */
  compileMs: number;
  totalMs: number;
}

export interface LoadProgress {
  readonly phase: 'weights';
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
}

const TOKENIZER_FILES: Record<keyof TokenizerFiles, string> = {
  tokenizerJson: 'tokenizer.json',
  vocabJson: 'vocab.json',
  mergesTxt: 'merges.txt',
  addedTokensJson: 'added_tokens.json',
  tokenizerConfigJson: 'tokenizer_config.json',
};

export async function readTokenizer(files: ModelFiles): Promise<QwenTokenizer> {
  const found: Partial<Record<keyof TokenizerFiles, string>> = {};
  for (const [key, file] of Object.entries(TOKENIZER_FILES) as [keyof TokenizerFiles, string][]) {
    const text = await files.readText(file);
    if (text !== undefined) found[key] = text;
  }
  if (!found.tokenizerJson && !(found.vocabJson && found.mergesTxt)) {
    throw new Error(`${files.describe()}: no tokenizer: expected tokenizer.json, or vocab.json + merges.txt (+ added_tokens.json)`);
  }
  return loadTokenizer(found as TokenizerFiles);
}

export async function readConfig(files: ModelFiles): Promise<{ config: InternVLChatConfig; generationConfig: GenerationConfig }> {
  const where = files.describe();
  const text = await files.readText('config.json');
  if (text === undefined) throw new Error(`${where}: config.json is missing`);
  const config = parseConfig(text, `${where}/config.json`);
  const genText = await files.readText('generation_config.json');
  const generationConfig = genText === undefined ? {} : parseGenerationConfig(genText, `${where}/generation_config.json`);
  return { config, generationConfig };
}

export async function loadModel(gpu: Gpu, files: ModelFiles, options: LoadOptions = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  const compile0 = pipelineCompileMs(gpu.device);
  const { config, generationConfig } = await readConfig(files);
  const tokenizer = await readTokenizer(files);
  const checkpoint = await openCheckpoint(files);
  try {
    checkCheckpoint(expectedTensors(config), checkpoint.tensors, files.describe());
    const uploaded = await uploadWeights(gpu.device, checkpoint.tensors.values(), {
      onProgress: (bytesDone, bytesTotal) => options.onProgress?.({ phase: 'weights', bytesDone, bytesTotal }),
    });
    const tensors = await prepareWeights(gpu, uploaded.tensors);
    const weights = weightTree(tensors);
    return {
      gpu,
      config,
      generationConfig,
      weights,
      tokenizer,
      weightBytes: uploaded.bytes,
      timings: { readMs: uploaded.readMs, uploadMs: uploaded.uploadMs, compileMs: pipelineCompileMs(gpu.device) - compile0, totalMs: performance.now() - t0 },
    };
  } finally {
    await checkpoint.close();
  }
}
