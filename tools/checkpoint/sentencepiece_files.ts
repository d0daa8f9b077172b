// Writes InternVL2-2B's tokenizer file set (InternLM2's SentencePiece tokenizer, used with use_fast=False):
// tokenizer.model, tokenizer_config.json and special_tokens_map.json, with a synthetic BPE vocabulary.
//
// Layout, from memory of the official files (not checked against them here):
// - tokenizer.model has 92544 pieces: 0 <unk> (UNKNOWN), 1 <s>, 2 </s> (CONTROL), 3…258 <0x00>…<0xFF> (BYTE),
//   ordinary BPE pieces, and 92538…92543 <|plugin|> <|interpreter|> <|action_end|> <|action_start|> <|im_end|>
//   <|im_start|>. We write those six as USER_DEFINED; the real file may hold other pieces there (placeholders
//   that tokenizer_config renames) — upstream resolves these ids through added_tokens_decoder either way.
// - InternVL added 92544 <img> … 92552 </box> (config vocab_size 92553); tokenizer_config.json lists
//   added_tokens_decoder for 0, 1, 2 and 92538…92552, all special, add_bos_token true, add_eos_token false.
// - The model is BPE with byte_fallback and the identity normalizer. We could not check add_dummy_prefix or
//   remove_extra_whitespaces: the default here is add_dummy_prefix false (llama.cpp's InternLM2 support
//   took InternLM2 as not adding a space prefix) and remove_extra_whitespaces false; both are options.
// The ordinary pieces are trained on the spot (tools/checkpoint/bpe_trainer.ts over sentencepiece_corpus.ts,
// normalized with the same add_dummy_prefix as the model),
// and the ids up to 92537 are filled with pieces no text can reach: three private-use characters each, while
// no piece of two private-use characters exists for a merge to start from.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PIECE_TYPE } from '../../tokenizer/sentencepiece_model.js';
import { pythonJsonDumps, type PyJson } from '../python_json.js';
import { trainBpe } from './bpe_trainer.js';
import { SENTENCEPIECE_CORPUS } from './sentencepiece_corpus.js';
import { type PieceSpec, serializeModelProto } from './sentencepiece_proto.js';

/** Pieces of InternLM2's tokenizer.model. */
export const INTERNLM2_SP_PIECES = 92544;
/** InternVL2-2B's vocabulary (llm_config.vocab_size): the SentencePiece pieces + 9 InternVL tokens. */
export const INTERNLM2_VOCAB_SIZE = 92553;

/** The chat tokens at the end of InternLM2's SentencePiece model, ids 92538…92543. */
export const INTERNLM2_CHAT_TOKENS: readonly string[] = ['<|plugin|>', '<|interpreter|>', '<|action_end|>', '<|action_start|>', '<|im_end|>', '<|im_start|>'];
/** InternVL's added tokens, ids 92544…92552. */
export const INTERNVL_ADDED_TOKENS: readonly string[] = ['<img>', '</img>', '<IMG_CONTEXT>', '<quad>', '</quad>', '<ref>', '</ref>', '<box>', '</box>'];

const FIRST_CHAT_TOKEN = INTERNLM2_SP_PIECES - INTERNLM2_CHAT_TOKENS.length;
// Enough merges for a real-looking vocabulary from the corpus; training stops earlier when no pair repeats.
const MAX_MERGES = 4000;

export interface InternLM2TokenizerOptions {
  /** normalizer_spec.add_dummy_prefix (default false, see above). */
  addDummyPrefix?: boolean;
  /** normalizer_spec.remove_extra_whitespaces (default false). */
  removeExtraWhitespaces?: boolean;
}

export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** A filler no text reaches: 3 private-use characters, distinct for each i < 2^24. */
export function fillerPiece(i: number): string {
  return String.fromCharCode(0xe000 + (i & 0xff), 0xe100 + ((i >> 8) & 0xff), 0xe200 + (i >> 16));
}

/** The 92544 pieces of the synthetic InternLM2 tokenizer.model. */
export function internLM2Pieces(addDummyPrefix = false): PieceSpec[] {
  const pieces: PieceSpec[] = [
    { piece: '<unk>', score: 0, type: PIECE_TYPE.unknown },
    { piece: '<s>', score: 0, type: PIECE_TYPE.control },
    { piece: '</s>', score: 0, type: PIECE_TYPE.control },
  ];
  for (let b = 0; b < 256; b++) pieces.push({ piece: bytePiece(b), score: 0, type: PIECE_TYPE.byte });
  const trained = trainBpe(SENTENCEPIECE_CORPUS.split('\n'), MAX_MERGES, addDummyPrefix);
  for (const t of trained) pieces.push({ piece: t.piece, score: t.score, type: PIECE_TYPE.normal });
  if (pieces.length > FIRST_CHAT_TOKEN) throw new Error(`sentencepiece files: ${pieces.length} trained pieces do not fit below id ${FIRST_CHAT_TOKEN}`);
  for (let i = 0; pieces.length < FIRST_CHAT_TOKEN; i++) pieces.push({ piece: fillerPiece(i), score: -(trained.length + i), type: PIECE_TYPE.normal });
  for (const t of INTERNLM2_CHAT_TOKENS) pieces.push({ piece: t, score: 0, type: PIECE_TYPE.userDefined });
  return pieces;
}

/** The serialized tokenizer.model. */
export function internLM2TokenizerModel(opts: InternLM2TokenizerOptions = {}): Uint8Array {
  return serializeModelProto({
    pieces: internLM2Pieces(opts.addDummyPrefix ?? false),
    byteFallback: true,
    addDummyPrefix: opts.addDummyPrefix ?? false,
    removeExtraWhitespaces: opts.removeExtraWhitespaces ?? false,
  });
}

function addedToken(content: string): { [key: string]: PyJson } {
  return { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
}

/** tokenizer_config.json as InternLM2Tokenizer's save_pretrained writes it (keys sorted). */
export function internLM2TokenizerConfig(): { [key: string]: PyJson } {
  const decoder: { [key: string]: PyJson } = { 0: addedToken('<unk>'), 1: addedToken('<s>'), 2: addedToken('</s>') };
  [...INTERNLM2_CHAT_TOKENS, ...INTERNVL_ADDED_TOKENS].forEach((t, i) => (decoder[String(FIRST_CHAT_TOKEN + i)] = addedToken(t)));
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    auto_map: { AutoTokenizer: ['tokenization_internlm2.InternLM2Tokenizer', null] },
    bos_token: '<s>',
    clean_up_tokenization_spaces: false,
    eos_token: '</s>',
    pad_token: '</s>',
    tokenizer_class: 'InternLM2Tokenizer',
    unk_token: '<unk>',
  };
}

export function internLM2SpecialTokensMap(): { [key: string]: PyJson } {
  const flags = (content: string) => ({ content, lstrip: false, normalized: false, rstrip: false, single_word: false });
  return { bos_token: flags('<s>'), eos_token: flags('</s>'), pad_token: flags('</s>'), unk_token: flags('<unk>') };
}

/** Writes tokenizer.model, tokenizer_config.json and special_tokens_map.json into dir (created if missing). */
export async function writeInternLM2TokenizerFiles(dir: string, opts: InternLM2TokenizerOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.model'), internLM2TokenizerModel(opts));
  await writeFile(join(dir, 'tokenizer_config.json'), pythonJsonDumps(internLM2TokenizerConfig(), { sortKeys: true }), 'utf8');
  await writeFile(join(dir, 'special_tokens_map.json'), pythonJsonDumps(internLM2SpecialTokensMap(), { sortKeys: true }), 'utf8');
}
