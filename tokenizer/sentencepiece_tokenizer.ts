// SentencePiece BPE tokenizer as InternLM2's slow InternLM2Tokenizer (tokenization_internlm2.py, use_fast=False,
// which InternVL2-2B's model card uses) behaves on top of transformers' PreTrainedTokenizer:
// - tokenize: split the text on the added tokens (tokenizer_config.json added_tokens_decoder, added_tokens.json),
//   then sp.encode(segment, out_type=str) for each non-empty text segment on its own, so with add_dummy_prefix
//   every segment gets its own leading "▁"; each piece → id through the added tokens first, then piece_to_id.
// - tokenizer(text).input_ids = [bos_id] + ids when add_bos_token (default true; bos_id is sp.bos_id(), the
//   CONTROL piece "<s>"), + [eos_id] when add_eos_token (default false).
// - decode: added tokens are their text (skipped when special and skipSpecialTokens); runs of model pieces
//   between them decode as sp.decode does (sentencepiece_decode.ts).
//   Upstream's convert_tokens_to_string also runs `_maybe_add_prefix_space` and then `out_string[1:]`, meant to
//   drop the first character when the first token does not start with "▁". In the published file that set
//   (`no_prefix_space_tokens`) holds ids while it is tested with a token string, so the space is always added
//   and `[1:]` removes just that space; either way we do not reproduce it: decode() is sp.decode's text.
//   Upstream's extra " " before a special token kept in the output (skip_special_tokens=False) is not
//   reproduced either; chat() decodes with skip_special_tokens=True.
import { AddedTokenSplitter } from './added_tokens.js';
import { LlamaTokenizer, type LlamaTokenizerOptions, SPECIAL_TOKEN_NAMES, type SpecialTokenName } from './llama_tokenizer.js';
import { SentencePieceBpe } from './sentencepiece_bpe.js';
import { sentencePieceTokenId, sentencePieceTokenPiece } from './sentencepiece_vocab.js';
import { type AddedTokenInfo, SentencePieceDecoder } from './sentencepiece_decode.js';
import { PIECE_TYPE, parseSentencePieceModel, type SentencePieceModel } from './sentencepiece_model.js';
import type { DecodeOptions, IncrementalDecoder, TokenPiece, Tokenizer } from './tokenizer.js';
import { type AddedTokenJson, mergeAddedTokens, type TokenizerConfigJson } from './tokenizer_json.js';

export interface SentencePieceTokenizerOptions {
  /** Added tokens by id (content, special, lstrip, rstrip), from tokenizer_config.json and added_tokens.json. */
  addedTokens?: readonly AddedTokenJson[];
  addBosToken?: boolean;
  addEosToken?: boolean;
  /** Names the files in error messages. */
  name?: string;
}


export class SentencePieceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  /** sp.bos_id() / sp.eos_id(): the CONTROL piece named by trainer_spec (default "<s>", "</s>"), or -1. */
  readonly bosId: number;
  readonly eosId: number;
  private readonly bpe: SentencePieceBpe;
  private readonly added = new Map<number, AddedTokenInfo>();
  private readonly addedByContent = new Map<string, number>();
  private readonly splitter: AddedTokenSplitter;
  private readonly addBos: boolean;
  private readonly addEos: boolean;
  private readonly pieces: (TokenPiece | undefined)[] = [];

  constructor(
    readonly model: SentencePieceModel,
    opts: SentencePieceTokenizerOptions = {},
  ) {
    const name = opts.name ?? 'tokenizer.model';
    this.bpe = new SentencePieceBpe(model);
    const addedTokens = opts.addedTokens ?? [];
    let maxId = model.pieces.length - 1;
    for (const t of addedTokens) {
      if (t.single_word) throw new Error(`${name}: added token ${JSON.stringify(t.content)} has single_word, which is not supported`);
      this.added.set(t.id, { content: t.content, special: t.special });
      this.addedByContent.set(t.content, t.id);
      if (t.id > maxId) maxId = t.id;
    }
    this.vocabSize = maxId + 1;
    this.splitter = new AddedTokenSplitter(addedTokens);
    const controlId = (piece: string) => {
      const id = this.bpe.pieceToId(piece);
      return model.pieces[id]?.type === PIECE_TYPE.control ? id : -1;
    };
    this.bosId = controlId(model.trainerSpec.bosPiece);
    this.eosId = controlId(model.trainerSpec.eosPiece);
    this.addBos = opts.addBosToken ?? true;
    this.addEos = opts.addEosToken ?? false;
    if (this.addBos && this.bosId < 0) throw new Error(`${name}: add_bos_token is true but the model has no control piece ${JSON.stringify(model.trainerSpec.bosPiece)}`);
    if (this.addEos && this.eosId < 0) throw new Error(`${name}: add_eos_token is true but the model has no control piece ${JSON.stringify(model.trainerSpec.eosPiece)}`);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const segment of this.splitter.split(text)) {
      if ('id' in segment) {
        ids.push(segment.id);
        continue;
      }
      for (const { piece } of this.bpe.encodeWithPieces(segment.text)) ids.push(this.addedByContent.get(piece) ?? this.bpe.pieceToId(piece));
    }
    return ids;
  }

  encodePrompt(text: string): number[] {
    const ids = this.encode(text);
    if (this.addBos) ids.unshift(this.bosId);
    if (this.addEos) ids.push(this.eosId);
    return ids;
  }

  /** Ids of text through the SentencePiece model alone (sp.encode(text, out_type=int)), without added tokens. */
  encodeModel(text: string): number[] {
    return this.bpe.encode(text);
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const d = this.decoder(opts);
    let out = '';
    for (const id of ids) out += d.push(id);
    return out + d.flush();
  }

  decoder(opts: DecodeOptions = {}): IncrementalDecoder {
    return new SentencePieceDecoder(this, opts);
  }

  addedToken(id: number): AddedTokenInfo | undefined {
    return this.added.get(id);
  }

  piece(id: number): TokenPiece {
    return (this.pieces[id] ??= sentencePieceTokenPiece(this.model, this.added.get(id), id));
  }

  isSpecial(id: number): boolean {
    return this.added.get(id)?.special ?? false;
  }

  tokenToId(token: string): number | undefined {
    return sentencePieceTokenId(token, this.addedByContent, this.bpe);
  }

  idToToken(id: number): string | undefined {
    return this.added.get(id)?.content ?? this.model.pieces[id]?.piece;
  }
}

/** tokenizer_class values loadSentencePieceTokenizer implements (absent: InternLM2Tokenizer, as before). */
export const SENTENCEPIECE_TOKENIZER_CLASSES = ['InternLM2Tokenizer', 'LlamaTokenizer'] as const;

/**
 * The tokenizer of a tokenizer.model with its tokenizer_config.json and added_tokens.json, by tokenizer_class:
 * InternLM2Tokenizer (also when the config names none) or LlamaTokenizer (llama_tokenizer.ts). Any other class
 * is refused rather than tokenized differently from upstream.
 */
export function loadSentencePieceTokenizer(
  modelBytes: Uint8Array,
  config: TokenizerConfigJson | undefined,
  addedTokensJson: Record<string, number> = {},
  name = 'tokenizer.model',
): SentencePieceTokenizer | LlamaTokenizer {
  const tokenizerClass = config?.tokenizer_class;
  if (tokenizerClass !== undefined && !(SENTENCEPIECE_TOKENIZER_CLASSES as readonly unknown[]).includes(tokenizerClass)) {
    throw new Error(`${name}: tokenizer_class ${JSON.stringify(tokenizerClass)} is not supported with tokenizer.model (supported: ${SENTENCEPIECE_TOKENIZER_CLASSES.join(', ')})`);
  }
  const model = parseSentencePieceModel(modelBytes, name);
  const addedTokens = mergeAddedTokens(addedTokensJson, config);
  if (tokenizerClass === 'LlamaTokenizer') return new LlamaTokenizer(model, { ...llamaTokenizerOptions(config!, name), addedTokens, name });
  const flag = (key: string, fallback: boolean) => {
    const v = config?.[key];
    return typeof v === 'boolean' ? v : fallback;
  };
  return new SentencePieceTokenizer(model, {
    addedTokens,
    addBosToken: flag('add_bos_token', true),
    addEosToken: flag('add_eos_token', false),
    name,
  });
}

/** LlamaTokenizer's settings from tokenizer_config.json; what it would read differently from upstream is refused. */
export function llamaTokenizerOptions(config: TokenizerConfigJson, name = 'tokenizer_config.json'): LlamaTokenizerOptions {
  const bad = (what: string): never => {
    throw new Error(`${name}: tokenizer_config.json ${what}`);
  };
  const bool = (key: string, fallback: boolean, nullMeans?: boolean): boolean => {
    const v = config[key];
    if (v === undefined || (v === null && nullMeans !== undefined)) return v === null ? nullMeans! : fallback;
    return typeof v === 'boolean' ? v : bad(`${key} is ${JSON.stringify(v)}, not a boolean`);
  };
  // A token is a string or a serialized AddedToken ({"__type": "AddedToken", "content": …}).
  const tokenString = (key: string, v: unknown): string | null => {
    if (v === null || typeof v === 'string') return v;
    if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
    return bad(`${key} is ${JSON.stringify(v)}, not a token`);
  };
  const specialTokens: Partial<Record<SpecialTokenName, string | null>> = {};
  for (const key of SPECIAL_TOKEN_NAMES) if (config[key] !== undefined) specialTokens[key] = tokenString(key, config[key]);
  const additional = config.additional_special_tokens ?? [];
  if (!Array.isArray(additional)) bad('additional_special_tokens is not a list');
  const additionalSpecialTokens = (additional as unknown[]).map((t) => tokenString('additional_special_tokens', t) ?? bad('additional_special_tokens holds null'));
  if (bool('clean_up_tokenization_spaces', false)) bad('clean_up_tokenization_spaces true is not supported (LlamaTokenizer: decoded text is not cleaned up here)');
  if (bool('split_special_tokens', false)) bad('split_special_tokens true is not supported');
  const kwargs = config.sp_model_kwargs;
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Object.keys(kwargs).length > 0)) bad(`sp_model_kwargs ${JSON.stringify(kwargs)} is not supported (only {})`);
  // add_prefix_space null: 4.38+ reads it as false, 4.37 ignores the key; refused rather than guessed.
  if (config.add_prefix_space === null) bad('add_prefix_space null is read differently by transformers versions; set true or false');
  return {
    legacy: bool('legacy', true, true),
    fromSlow: bool('from_slow', false),
    addPrefixSpace: bool('add_prefix_space', true),
    addBosToken: bool('add_bos_token', true),
    addEosToken: bool('add_eos_token', false),
    specialTokens,
    additionalSpecialTokens,
  };
}
