// The language models the runtime runs, keyed by llm_config.architectures[0] (their checkpoint layouts and
// config checks: loader/llm_layouts.ts): how each rewrites its checkpoint tensors at load, and its forward pass.
import type { LlmConfig } from '../loader/config.js';
import { LLM_LAYOUTS } from '../loader/llm_layouts.js';
import type { Gpu } from '../runtime/device.js';
import type { Tensor } from '../runtime/tensor.js';
import type { LanguageModel } from './decoder.js';
import { type InternLM2Weights, internLM2, prepareInternLM2 } from './internlm2.js';
import { type Phi3Weights, phi3, preparePhi3 } from './phi3.js';
import { type Qwen2Weights, prepareQwen2, qwen2 } from './qwen2.js';

export interface Architecture {
  /** Load-time rewrite of the checkpoint's tensors (after upload) into the ones the forward pass reads. */
  prepare(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>, c: LlmConfig): Promise<Map<string, Tensor>>;
  /** The forward pass over the `language_model` subtree of the (prepared) weight tree. */
  bind(languageModel: unknown, c: LlmConfig): LanguageModel;
}

export const ARCHITECTURES: Readonly<Record<string, Architecture>> = {
  Qwen2ForCausalLM: { prepare: prepareQwen2, bind: (w, c) => qwen2(w as Qwen2Weights, c) },
  InternLM2ForCausalLM: { prepare: prepareInternLM2, bind: (w, c) => internLM2(w as InternLM2Weights, c) },
  Phi3ForCausalLM: { prepare: preparePhi3, bind: (w, c) => phi3(w as Phi3Weights, c) },
};

export function architectureOf(c: LlmConfig): Architecture {
  const name = c.architectures[0]!;
  const a = ARCHITECTURES[name];
  if (!a) throw new Error(`llm_config.architectures: ${JSON.stringify(c.architectures)} has a checkpoint layout but no forward pass (known: ${Object.keys(ARCHITECTURES).join(', ')}; layouts: ${LLM_LAYOUTS.map((l) => l.architecture).join(', ')})`);
  return a;
}
