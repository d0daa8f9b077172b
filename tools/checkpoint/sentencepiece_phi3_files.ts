// Writes InternVL2-4B's tokenizer file set (Phi-3-mini-128k-instruct's SentencePiece tokenizer, read by
// transformers' slow LlamaTokenizer, tokenizer/llama_tokenizer.ts): tokenizer.model, tokenizer_config.json,
// special_tokens_map.json and added_tokens.json, with a synthetic BPE vocabulary. Same bytes on every run.
//
// What is checked, and where:
// - Phi-3's added-token flags (tokenizer_config.json added_tokens_decoder): <unk> and <s> special, no strip;
//   </s> rstrip true and special false; <|endoftext|> special, no strip; <|assistant|>, <|placeholder1..6|>,
//   <|system|>, <|end|>, <|user|> special with rstrip true. Seen in a copy of a Phi-3 tokenizer_config.json held
//   as a Python dict in a public repository (legacy false, eos and pad <|endoftext|>, clean_up_tokenization_spaces
//   false, sp_model_kwargs {}, tokenizer_class LlamaTokenizer, model_max_length 131072 — but add_bos_token false,
//   so probably a later revision than the one InternVL2-4B started from), and the same rstrip flags in
//   transformers' GGUF Phi-3 converter ("add the special tokens from phi3 tokenizer config").
// - Not checked against InternVL2-4B's own files (not found): add_bos_token true here (LlamaTokenizer's
//   default; the April 2024 Phi-3 release is remembered to have it true); additional_special_tokens = InternVL's 9
//   tokens, which is what add_tokens(..., special_tokens=True) appends in transformers 4.37 and what the
//   InternVL2-1B files hold; InternVL's tokens special, no strip; added_tokens.json with every id from 32000
//   (save_pretrained's legacy file); model_max_length 8192; no chat_template (chat() builds prompts itself).
// - tokenizer.model laid out like Llama's (from memory): 32000 pieces, 0 <unk> UNKNOWN, 1 <s> and 2 </s>
//   CONTROL, 3…258 <0x00>…<0xFF> BYTE, then BPE pieces; byte_fallback true; the identity normalizer with
//   add_dummy_prefix true and remove_extra_whitespaces false (consistent with transformers' LlamaConverter: a
//   "▁" prepended, spaces replaced, no whitespace collapsing). The real file's pieces are of course not these.
// The ordinary pieces are trained on the spot (bpe_trainer.ts over sentencepiece_corpus.ts, with the dummy
// prefix), and the ids up to 31999 are fillers no text can reach (sentencepiece_files.ts fillerPiece).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PIECE_TYPE } from '../../tokenizer/sentencepiece_model.js';
import { pythonJsonDumps, type PyJson } from '../python_json.js';
import { trainBpe } from './bpe_trainer.js';
import { SENTENCEPIECE_CORPUS } from './sentencepiece_corpus.js';
import { bytePiece, fillerPiece, INTERNVL_ADDED_TOKENS } from './sentencepiece_files.js';
import { type PieceSpec, serializeModelProto } from './sentencepiece_proto.js';

/** Pieces of Phi-3's (Llama's) tokenizer.model. */
export const PHI3_SP_PIECES = 32000;
/** Phi-3's added tokens, ids 32000…32010. */
export const PHI3_ADDED_TOKENS: readonly string[] = [
  '<|endoftext|>', '<|assistant|>', '<|placeholder1|>', '<|placeholder2|>', '<|placeholder3|>', '<|placeholder4|>',
  '<|system|>', '<|end|>', '<|placeholder5|>', '<|placeholder6|>', '<|user|>',
];
/** InternVL2-4B's vocabulary (llm_config.vocab_size): 32000 pieces, Phi-3's 11 tokens, InternVL's 9 (32011…32019). */
export const PHI3_VOCAB_SIZE = PHI3_SP_PIECES + PHI3_ADDED_TOKENS.length + INTERNVL_ADDED_TOKENS.length;

const MAX_MERGES = 4000;

export interface Phi3TokenizerOptions {
  /** tokenizer_config.json `legacy`: false (default), true, null (written as null) or 'absent'. */
  legacy?: boolean | null | 'absent';
  addBosToken?: boolean;
  addEosToken?: boolean;
  /** Written only when given (Phi-3's file has no add_prefix_space). */
  addPrefixSpace?: boolean;
  /** additional_special_tokens (default InternVL's 9 tokens). */
  additionalSpecialTokens?: readonly string[];
  /** rstrip of </s> and the Phi-3 chat tokens (default true, as Phi-3 has it). */
  chatTokensRstrip?: boolean;
  /** lstrip of the tokens named (default none; for tests of the rule). */
  lstrip?: readonly string[];
}

/** The 32000 pieces of the synthetic Phi-3 tokenizer.model. */
export function phi3Pieces(): PieceSpec[] {
  const pieces: PieceSpec[] = [
    { piece: '<unk>', score: 0, type: PIECE_TYPE.unknown },
    { piece: '<s>', score: 0, type: PIECE_TYPE.control },
    { piece: '</s>', score: 0, type: PIECE_TYPE.control },
  ];
  for (let b = 0; b < 256; b++) pieces.push({ piece: bytePiece(b), score: 0, type: PIECE_TYPE.byte });
  const trained = trainBpe(SENTENCEPIECE_CORPUS.split('\n'), MAX_MERGES, true);
  for (const t of trained) pieces.push({ piece: t.piece, score: t.score, type: PIECE_TYPE.normal });
  if (pieces.length > PHI3_SP_PIECES) throw new Error(`sentencepiece files: ${pieces.length} trained pieces do not fit in ${PHI3_SP_PIECES}`);
  for (let i = 0; pieces.length < PHI3_SP_PIECES; i++) pieces.push({ piece: fillerPiece(i), score: -(trained.length + i), type: PIECE_TYPE.normal });
  return pieces;
}

/** The serialized tokenizer.model. */
export function phi3TokenizerModel(): Uint8Array {
  return serializeModelProto({ pieces: phi3Pieces(), byteFallback: true, addDummyPrefix: true, removeExtraWhitespaces: false });
}

function flags(content: string, special: boolean, rstrip: boolean, lstrip: boolean): { [key: string]: PyJson } {
  return { content, lstrip, normalized: false, rstrip, single_word: false, special };
}

/**
 * added_tokens_decoder of InternVL2-4B's layout: 0, 1, 2, Phi-3's tokens from `firstAddedId` (32000 in the real
 * file; a model with fewer pieces puts them after its own), InternVL's after them.
 */
export function phi3AddedTokens(opts: Phi3TokenizerOptions = {}, firstAddedId = PHI3_SP_PIECES): { id: number; flags: { [key: string]: PyJson } }[] {
  const rstrip = opts.chatTokensRstrip ?? true;
  const lstrip = new Set(opts.lstrip ?? []);
  const entry = (id: number, content: string, special: boolean, r: boolean) => ({ id, flags: flags(content, special, r, lstrip.has(content)) });
  return [
    entry(0, '<unk>', true, false),
    entry(1, '<s>', true, false),
    entry(2, '</s>', false, rstrip),
    ...PHI3_ADDED_TOKENS.map((t, i) => entry(firstAddedId + i, t, true, t !== '<|endoftext|>' && rstrip)),
    ...INTERNVL_ADDED_TOKENS.map((t, i) => entry(firstAddedId + PHI3_ADDED_TOKENS.length + i, t, true, false)),
  ];
}

/** tokenizer_config.json as transformers 4.37's save_pretrained writes it (keys sorted). */
export function phi3TokenizerConfig(opts: Phi3TokenizerOptions = {}, firstAddedId = PHI3_SP_PIECES): { [key: string]: PyJson } {
  const decoder: { [key: string]: PyJson } = {};
  for (const t of phi3AddedTokens(opts, firstAddedId)) decoder[String(t.id)] = t.flags;
  const legacy = opts.legacy === undefined ? false : opts.legacy;
  return {
    add_bos_token: opts.addBosToken ?? true,
    add_eos_token: opts.addEosToken ?? false,
    ...(opts.addPrefixSpace !== undefined && { add_prefix_space: opts.addPrefixSpace }),
    added_tokens_decoder: decoder,
    additional_special_tokens: [...(opts.additionalSpecialTokens ?? INTERNVL_ADDED_TOKENS)],
    bos_token: '<s>',
    clean_up_tokenization_spaces: false,
    eos_token: '<|endoftext|>',
    ...(legacy !== 'absent' && { legacy }),
    model_max_length: 8192,
    pad_token: '<|endoftext|>',
    padding_side: 'left',
    sp_model_kwargs: {},
    tokenizer_class: 'LlamaTokenizer',
    unk_token: '<unk>',
    use_default_system_prompt: false,
  };
}

export function phi3SpecialTokensMap(opts: Phi3TokenizerOptions = {}): { [key: string]: PyJson } {
  const token = (content: string) => ({ content, lstrip: false, normalized: false, rstrip: false, single_word: false });
  return {
    additional_special_tokens: [...(opts.additionalSpecialTokens ?? INTERNVL_ADDED_TOKENS)],
    bos_token: token('<s>'),
    eos_token: token('<|endoftext|>'),
    pad_token: token('<|endoftext|>'),
    unk_token: token('<unk>'),
  };
}

/** added_tokens.json: every added token from `firstAddedId` on, content → id. */
export function phi3AddedTokensJson(firstAddedId = PHI3_SP_PIECES): { [key: string]: PyJson } {
  return Object.fromEntries([...PHI3_ADDED_TOKENS, ...INTERNVL_ADDED_TOKENS].map((t, i) => [t, firstAddedId + i]));
}

/** Writes tokenizer.model, tokenizer_config.json, special_tokens_map.json and added_tokens.json into dir. */
export async function writePhi3TokenizerFiles(dir: string, opts: Phi3TokenizerOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.model'), phi3TokenizerModel());
  await writePhi3TokenizerJsonFiles(dir, opts);
}

/** The JSON files alone, for a tokenizer.model with `firstAddedId` pieces already in dir. */
export async function writePhi3TokenizerJsonFiles(dir: string, opts: Phi3TokenizerOptions = {}, firstAddedId = PHI3_SP_PIECES): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer_config.json'), pythonJsonDumps(phi3TokenizerConfig(opts, firstAddedId), { sortKeys: true }), 'utf8');
  await writeFile(join(dir, 'special_tokens_map.json'), pythonJsonDumps(phi3SpecialTokensMap(opts), { sortKeys: true }), 'utf8');
  await writeFile(join(dir, 'added_tokens.json'), pythonJsonDumps(phi3AddedTokensJson(firstAddedId), { sortKeys: true }), 'utf8');
}
