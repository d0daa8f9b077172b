// Loading an InternVL checkpoint onto the GPU from any ModelFiles (a Node directory, the HF cache, a URL):
// config → header check against the config's tensor list (before any GPU work) → streamed upload →
// f32 vectors → the typed weight tree; plus the tokenizer and generation defaults. Browser-safe.
import type { GenerationConfig, InternVLChatConfig } from '../loader/config.js';
import { loadWeights } from '../loader/load_weights.js';
import type { ModelFiles } from '../loader/model_files.js';
import { conversationTemplate, stopToken } from './templates.js';
import type { Gpu } from '../runtime/device.js';
import { pipelineCompileMs } from '../runtime/kernel.js';
import { type Tokenizer, type TokenizerFiles, loadTokenizer } from '../tokenizer/tokenizer.js';
import { type QuantPlan, type VisionQuantFormat, quantFormatOf, savedFormatOf, savedPlan, unquantizable } from '../loader/quantization.js';
import type { QuantFormat } from '../runtime/quant.js';
import { destroyWeight } from '../runtime/quant_tensor.js';
import type { Tensor } from '../runtime/tensor.js';
import type { LanguageModel } from './decoder.js';
import { architectureOf } from './language_models.js';
import { type InternVLWeights, prepareWeights, weightTree } from './weights.js';

export interface LoadedModel {
  readonly gpu: Gpu;
  readonly config: InternVLChatConfig;
  readonly generationConfig: GenerationConfig;
  readonly weights: InternVLWeights;
  /** The language model's forward pass over its weights (its architecture's: model/language_models.ts). */
  readonly llm: LanguageModel;
  readonly tokenizer: Tokenizer;
  /** The id of `<IMG_CONTEXT>` in this checkpoint's vocabulary (image features go to these positions). */
  readonly imageContextId: number;
  /** Bytes of weights on the GPU (codes and scales of quantized ones). */
  readonly weightBytes: number;
  /** The language model's weight format: bf16, or q4/q8 (quantized at load, or a saved quantized checkpoint). */
  readonly quantization: QuantizationSummary;
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
  /**
   * Quantize the language model's matrices while loading (runtime/quant.ts: q4 or q8, groups of 32 along K; the
   * vision tower and mlp1 stay bf16). A saved quantized checkpoint (`internvl quantize`) needs no option; asking for
   * another format than it holds is an error.
   */
  quant?: QuantFormat;
  /**
   * Quantize the vision tower's and mlp1's matrices too (q8 only; off by default: OCR-heavy use is sensitive to the
   * vision tower). Independent of `quant`; a saved checkpoint's own vision format cannot be changed either.
   */
  visionQuant?: VisionQuantFormat;
}

export interface QuantizationSummary {
  readonly format: 'bf16' | QuantFormat;
  /** The vision tower's and mlp1's format. */
  readonly visionFormat: 'bf16' | VisionQuantFormat;
  /** Whether the checkpoint was saved quantized (else quantized while loading, or bf16). */
  readonly saved: boolean;
  /** Quantized matrices. */
  readonly tensors: number;
  /** Matrices asked to be quantized but left bf16 because K is not a multiple of 32. */
  readonly keptBf16: readonly string[];
}

/** The text files of a tokenizer; tokenizer.model (SentencePiece, binary) is read only when neither Qwen2 set is there. */
const TOKENIZER_FILES: Record<Exclude<keyof TokenizerFiles, 'tokenizerModel'>, string> = {
  tokenizerJson: 'tokenizer.json',
  vocabJson: 'vocab.json',
  mergesTxt: 'merges.txt',
  addedTokensJson: 'added_tokens.json',
  tokenizerConfigJson: 'tokenizer_config.json',
};

export async function readTokenizer(files: ModelFiles): Promise<Tokenizer> {
  const found: TokenizerFiles = {};
  for (const [key, file] of Object.entries(TOKENIZER_FILES) as [keyof typeof TOKENIZER_FILES, string][]) {
    const text = await files.readText(file);
    if (text !== undefined) found[key] = text;
  }
  if (!found.tokenizerJson && !(found.vocabJson && found.mergesTxt)) {
    const source = await files.open('tokenizer.model');
    if (source) {
      try {
        found.tokenizerModel = await source.read(0, source.size);
      } finally {
        await source.close?.();
      }
    }
  }
  if (!found.tokenizerJson && !(found.vocabJson && found.mergesTxt) && !found.tokenizerModel) {
    throw new Error(`${files.describe()}: no tokenizer: expected tokenizer.json, vocab.json + merges.txt (+ added_tokens.json), or tokenizer.model (+ tokenizer_config.json)`);
  }
  return loadTokenizer(found, files.describe());
}

function tokenIdOf(tokenizer: Tokenizer, token: string, template: string): number {
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
  if (options.visionQuant !== undefined && options.visionQuant !== 'q8') throw new Error(`visionQuant: ${JSON.stringify(options.visionQuant)} is not supported (the vision tower takes q8 only)`);
  const plan: QuantPlan = { ...(options.quant && { llm: options.quant }), ...(options.visionQuant && { vision: options.visionQuant }) };
  const loaded = await loadWeights(gpu.device, files, {
    onProgress: (bytesDone, bytesTotal) => options.onProgress?.({ phase: 'weights', bytesDone, bytesTotal }),
    // Before any weight is read: the template must be one we know, and its stop token in the vocabulary; a saved
    // quantized checkpoint cannot become another format.
    checkConfig: (config) => {
      void tokenIdOf(tokenizer, stopToken(conversationTemplate(config.template)), config.template);
      const saved = config.quantization_config;
      if (saved && options.quant && options.quant !== saved.format) throw new Error(`${files.describe()}: the checkpoint is saved as ${saved.format}; it cannot be loaded as ${options.quant} (quantize the bf16 checkpoint instead)`);
      if (saved && options.visionQuant && options.visionQuant !== saved.vision_format) throw new Error(`${files.describe()}: the checkpoint is saved with a ${saved.vision_format ?? 'bf16'} vision tower; it cannot be loaded with ${options.visionQuant} (quantize the bf16 checkpoint instead)`);
    },
    quantize: (t) => quantFormatOf(t.name, t.shape, plan),
  });
  const saved = loaded.config.quantization_config;
  const architecture = architectureOf(loaded.config.llm_config);
  // Widened vectors, then the architecture's rewrite; a failure on the way frees every buffer made so far.
  let prepared: ReadonlyMap<string, Tensor> | undefined;
  let tensors: ReadonlyMap<string, Tensor>;
  let weights: InternVLWeights;
  let llm: LanguageModel;
  try {
    const savedAs = saved && savedPlan(saved);
    prepared = await prepareWeights(gpu, loaded.tensors, savedAs && ((name) => savedFormatOf(name, savedAs)));
    tensors = await architecture.prepare(gpu, prepared, loaded.config.llm_config);
    weights = weightTree(tensors);
    llm = architecture.bind(weights.language_model, loaded.config.llm_config);
  } catch (e) {
    for (const t of [...loaded.tensors.values(), ...(prepared?.values() ?? [])]) destroyWeight(t);
    throw e;
  }
  const format = saved?.format ?? options.quant ?? 'bf16';
  const visionFormat = (saved ? saved.vision_format : options.visionQuant) ?? 'bf16';
  const quantized = [...tensors.values()].filter((t) => t.dtype === 'q4' || t.dtype === 'q8').length;
  return {
    gpu,
    config: loaded.config,
    generationConfig: loaded.generationConfig ?? {},
    weights,
    llm,
    tokenizer,
    imageContextId,
    weightBytes: [...tensors.values()].reduce((sum, t) => sum + (t.storage?.size ?? 0) + (t.scales?.storage?.size ?? 0), 0),
    quantization: { format, visionFormat, saved: saved !== undefined, tensors: quantized, keptBf16: saved ? [] : unquantizable(loaded.tensors.values(), plan) },
    timings: { readMs: loaded.readMs, uploadMs: loaded.uploadMs, compileMs: pipelineCompileMs(gpu.device) - compile0, totalMs: performance.now() - t0 },
    destroy() {
      for (const t of tensors.values()) destroyWeight(t);
    },
  };
}
