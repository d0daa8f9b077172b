// A complete synthetic model directory in the official layout: config.json, generation_config.json,
// model.safetensors (every tensor of the config, BF16, seeded random values) and the tokenizer files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../loader/config.js';
import { expectedTensors } from '../../loader/tensor_list.js';
import { writeTokenizerFiles } from '../tokenizer_files.js';
import { configJsonText } from './config_json.js';
import { type FamilyName, family } from './families.js';
import { type PresetName, presetConfig } from './presets.js';
import { writeInternLM2TokenizerFiles } from './sentencepiece_files.js';
import { writePhi3TokenizerFiles } from './sentencepiece_phi3_files.js';
import { Xoshiro128, fillBf16, initFor, tensorSeed } from './random.js';
import { type SafetensorsLayout, type TensorSpec, writeSafetensors } from './write_safetensors.js';

export interface MakeCheckpointOptions {
  readonly preset: PresetName;
  readonly seed: number;
  readonly out: string;
  /** Skip the tokenizer files (tests of the loader alone). */
  readonly withoutTokenizer?: boolean;
  /** llm_config.tie_word_embeddings: true, and no lm_head in the checkpoint (as Qwen2.5-0.5B ships). */
  readonly tieWordEmbeddings?: boolean;
  /** Whose layout: template, vocabulary and added tokens (default internvl2-1b). */
  readonly family?: FamilyName;
}

/** SPEC §10: InternVL2-1B's current 117-byte generation_config.json, as transformers serializes it (sorted keys). */
export const GENERATION_CONFIG_JSON =
  '{\n  "_from_model_config": true,\n  "eos_token_id": [\n    151644,\n    151645\n  ],\n  "transformers_version": "4.37.2"\n}\n';

/**
 * InternVL2-2B's: what transformers derives from llm_config's bos/eos/pad (`_from_model_config`); the official file
 * was not at hand. The runtime stops on the template's separator, as upstream chat() does, not on this eos.
 */
const INTERNLM2_GENERATION_CONFIG_JSON = '{\n  "_from_model_config": true,\n  "bos_token_id": 1,\n  "eos_token_id": 2,\n  "pad_token_id": 2,\n  "transformers_version": "4.37.2"\n}\n';

/** Elements generated per piece: 16 MiB of bf16, reused from one scratch array. */
const PIECE = 8 * 1024 * 1024;

export async function makeCheckpoint(options: MakeCheckpointOptions): Promise<SafetensorsLayout> {
  const { preset, seed, out } = options;
  if (!Number.isSafeInteger(seed)) throw new Error(`make_checkpoint: seed must be an integer, got ${seed}`);
  const member = family(options.family ?? 'internvl2-1b');
  const content = presetConfig(preset, member);
  if (options.tieWordEmbeddings) (content.llm_config as Record<string, unknown>).tie_word_embeddings = true;
  const configText = configJsonText(content);
  const config = parseConfig(configText, `${preset} preset config.json`);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'config.json'), configText);
  await writeFile(join(out, 'generation_config.json'), member.architecture === 'InternLM2ForCausalLM' ? INTERNLM2_GENERATION_CONFIG_JSON : GENERATION_CONFIG_JSON);

  const specs: TensorSpec[] = expectedTensors(config).map((t) => ({ ...t, dtype: 'BF16' }));
  const scratch = new Uint16Array(PIECE);
  const layout = await writeSafetensors(join(out, 'model.safetensors'), specs, function* (spec, byteLength) {
    const rng = new Xoshiro128(tensorSeed(seed, spec.name));
    const init = initFor(spec.name);
    for (let left = byteLength / 2; left > 0; left -= PIECE) {
      const piece = scratch.subarray(0, Math.min(PIECE, left));
      fillBf16(piece, rng, init);
      yield new Uint8Array(piece.buffer, 0, piece.byteLength);
    }
  });
  if (!options.withoutTokenizer) {
    if (member.tokenizer === 'internlm2-sentencepiece') await writeInternLM2TokenizerFiles(out);
    else if (member.tokenizer === 'phi3-sentencepiece') await writePhi3TokenizerFiles(out);
    else await writeTokenizerFiles(out, { addedTokens: member.addedTokens });
  }
  return layout;
}
