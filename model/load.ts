// Loading an InternVL checkpoint onto the GPU from any ModelFiles (a Node directory, the HF cache, a URL):
// config → header check against the config's tensor list (before any GPU work) → streamed upload →
// f32 vectors → the typed weight tree; plus the tokenizer and generation defaults. Browser-safe.
import type { GenerationConfig, InternVLChatConfig } from '../loader/config.js';
import { loadWeights } from '../loader/load_weights.js';
import type { ModelFiles } from '../loader/model_files.js';
import { conversationTemplate, stopToken } from './templates.js';
import type { Gpu } from '../runtime/device.js';
import { pipelineCompileMs } from '../runtime/kernel.js';
import { type QwenTokenizer, type TokenizerFiles, loadTokenizer } from '../tokenizer/tokenizer.js';
import { fuseQkvProjections } from './fuse_qkv.js';
import { type InternVLWeights, prepareWeights, weightTree } from './weights.js';

export interface LoadedModel {
  readonly gpu: Gpu;
  readonly config: InternVLChatConfig;
  readonly generationConfig: GenerationConfig;
  readonly weights: InternVLWeights;
  readonly tokenizer: QwenTokenizer;
  /** The id of `<IMG_CONTEXT>` in this checkpoint's vocabulary (image features go to these positions). */
  readonly imageContextId: number;
  /** Bytes of weights on the GPU. */
  readonly weightBytes: number;
  readonly timings: LoadTimings;
  /** Frees every weight buffer; the model is unusable afterwards. */
  destroy(): void;
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

function tokenIdOf(tokenizer: QwenTokenizer, token: string, template: string): number {
  const id = tokenizer.tokenToId(token);
  if (id === undefined) throw new Error(`tokenizer: no token ${JSON.stringify(token)}, the stop token of template ${JSON.stringify(template)}`);
  return id;
}

/** The id of the token that ends an answer under the model's template. */
export function stopTokenId(m: LoadedModel): number {
  return tokenIdOf(m.tokenizer, stopToken(conversationTemplate(m.config.template)), m.config.template);
}

export async function loadModel(gpu: Gpu, files: ModelFiles, options: LoadOptions = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  const compile0 = pipelineCompileMs(gpu.device);
  const tokenizer = await readTokenizer(files);
  const imageContextId = tokenizer.tokenToId('<IMG_CONTEXT>');
  if (imageContextId === undefined) throw new Error(`${files.describe()}: the tokenizer has no <IMG_CONTEXT> token`);
  const loaded = await loadWeights(gpu.device, files, {
    onProgress: (bytesDone, bytesTotal) => options.onProgress?.({ phase: 'weights', bytesDone, bytesTotal }),
    // Before any weight is read: the template must be one we know, and its stop token in the vocabulary.
    checkConfig: (config) => void tokenIdOf(tokenizer, stopToken(conversationTemplate(config.template)), config.template),
  });
  const tensors = await fuseQkvProjections(gpu, await prepareWeights(gpu, loaded.tensors));
  const weights = weightTree(tensors, loaded.config.llm_config.tie_word_embeddings);
  return {
    gpu,
    config: loaded.config,
    generationConfig: loaded.generationConfig ?? {},
    weights,
    tokenizer,
    imageContextId,
    weightBytes: loaded.bytes,
    timings: { readMs: loaded.readMs, uploadMs: loaded.uploadMs, compileMs: pipelineCompileMs(gpu.device) - compile0, totalMs: performance.now() - t0 },
    destroy() {
      for (const t of tensors.values()) t.storage?.buffer.destroy();
    },
  };
}
