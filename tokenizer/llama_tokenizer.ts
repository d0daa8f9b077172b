// transformers' slow LlamaTokenizer (models/llama/tokenization_llama.py on PreTrainedTokenizer,
// tokenization_utils.py) over a SentencePiece BPE tokenizer.model, as InternVL2-4B (Phi-3-mini-128k-instruct,
// loaded with use_fast=False) runs it. The rules, read from transformers' source (4.37–4.40 and later; where
// they differ it is said):
//
// Setup. `legacy` comes from tokenizer_config.json; absent or null means true (upstream warns). With legacy
// false the SentencePiece model is loaded with normalizer_spec.add_dummy_prefix forced to false (unless
// `from_slow`), for encoding and decoding alike. `add_prefix_space` (4.38+; default true, which is what 4.37
// always did). all_special_tokens are the strings of bos/eos/unk/sep/pad/cls/mask_token and
// additional_special_tokens — not every added token whose `special` flag is set. Each of them that is not an
// added token already becomes one (at its piece id).
//
// tokenize(text), legacy false and text not empty: every "▁" in the text becomes " ", "▁" is prepended
// (add_prefix_space); then the base tokenize: the text is split on every added token (leftmost, longest);
// a token with rstrip strips the whitespace (str.isspace) at the start of the text after it, lstrip the
// whitespace at the end of the text before it; empty texts are dropped; each remaining text goes through
// _tokenize: sp.encode(text) when it starts with neither "▁" nor " ", else sp.encode(unk_token + text) with
// the first len(sp.encode(unk_token)) pieces dropped (the model no longer adds the "▁" itself). Last, a leading
// lone "▁" token is dropped when the token after it is in all_special_tokens — so before an added token that
// is not (Phi-3's <|system|>, <|user|> are added tokens with special: true in added_tokens_decoder but not in
// all_special_tokens unless additional_special_tokens lists them) the "▁" stays, as upstream's does.
// legacy true: the base tokenize, every text through sp.encode(text) with the model's own add_dummy_prefix.
// Pieces become ids through the added tokens first, then piece_to_id (<unk> when unknown).
// tokenizer(text).input_ids: [bos_token_id] when add_bos_token (default true) + ids + [eos_token_id] when
// add_eos_token (default false); bos_token_id is convert_tokens_to_ids(bos_token) (for Phi-3 "<s>" → 1).
//
// decode(ids, skip_special_tokens) (_decode + convert_tokens_to_string): ids in all_special_ids are dropped when
// skipping; every remaining added token that is not in all_special_tokens (or is an additional special token
// beyond the SentencePiece pieces) is a text of its own; each run of tokens between them goes through
// convert_tokens_to_string: the first token loses a leading "▁" (when add_prefix_space), then sp.decode of the
// piece strings (a string that is no piece — such as the first token cut short — reads as itself); a special
// token inside a run (only when not skipping) is its text and splits the sp.decode call. A run's text is kept
// when not empty (the last run's always); the texts are joined with " " — _decode's
// spaces_between_special_tokens defaults to true, and LlamaTokenizer's own spaces_between_special_tokens=False
// never reaches it. So upstream's decode(skip_special_tokens=True) of "Hi" + <|end|> is "Hi <|end|>", which
// InternVL's chat() cuts at template.sep and strips; this is reproduced as it is, since chat() post-processes it
// the same way (model/conversation.ts postprocessResponse).
// Not reproduced, for skip_special_tokens=false only: with legacy true, upstream's " " before a special token
// that follows other tokens in a run (it goes in front of text already streamed). clean_up_tokenization_spaces,
// split_special_tokens, non-empty sp_model_kwargs and single_word added tokens are refused, not approximated.
// Upstream oddities kept: a last run that decodes to nothing still gets its joining " " (so <|end|> then the
// lone "▁" piece decodes to "<|end|> "); a first piece that loses its "▁" and is then no piece is output as
// spelled. Also not covered: special_tokens_map.json (from_pretrained lets it override the config's special
// tokens; save_pretrained writes the same ones to both), Trie.split's exact lookahead beyond leftmost-longest,
// and the strip flags reaching into a neighbouring added token whose content starts or ends with whitespace.
import { AddedTokenSplitter } from './added_tokens.js';
import { SentencePieceBpe } from './sentencepiece_bpe.js';
import { sentencePieceTokenId, sentencePieceTokenPiece } from './sentencepiece_vocab.js';
import { SentencePieceRunDecoder } from './sentencepiece_decode.js';
import type { SentencePieceModel } from './sentencepiece_model.js';
import { SPACE_SYMBOL } from './sentencepiece_normalizer.js';
import type { DecodeOptions, IncrementalDecoder, TokenPiece, Tokenizer } from './tokenizer.js';
import type { AddedTokenJson } from './tokenizer_json.js';

export interface LlamaTokenizerOptions {
  /** Added tokens by id with their flags (tokenizer_config.json added_tokens_decoder, added_tokens.json). */
  addedTokens?: readonly AddedTokenJson[];
  /** tokenizer_config.json `legacy` (default true). */
  legacy?: boolean;
  /** `from_slow`: with legacy false, keep the model's add_dummy_prefix (default false). */
  fromSlow?: boolean;
  /** `add_prefix_space` (default true). */
  addPrefixSpace?: boolean;
  addBosToken?: boolean;
  addEosToken?: boolean;
  /** bos/eos/unk/sep/pad/cls/mask_token (null: none); LlamaTokenizer's defaults are <s>, </s>, <unk>, no pad. */
  specialTokens?: Partial<Record<SpecialTokenName, string | null>>;
  additionalSpecialTokens?: readonly string[];
  /** Names the files in error messages. */
  name?: string;
}

export const SPECIAL_TOKEN_NAMES = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;
export type SpecialTokenName = (typeof SPECIAL_TOKEN_NAMES)[number];

const LLAMA_DEFAULTS: Partial<Record<SpecialTokenName, string>> = { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' };

interface Added {
  readonly content: string;
  /** In all_special_tokens: what skip_special_tokens drops. */
  readonly special: boolean;
  /** Decoded as a text of its own (_decode's legacy_added_tokens). */
  readonly ownText: boolean;
}


export class LlamaTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly legacy: boolean;
  readonly addPrefixSpace: boolean;
  /** The model as upstream loads it (add_dummy_prefix off with legacy false). */
  readonly model: SentencePieceModel;
  /** convert_tokens_to_ids(bos_token) / (eos_token), undefined without one. */
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** all_special_tokens, in upstream's order. */
  readonly allSpecialTokens: readonly string[];
  private readonly specialSet: Set<string>;
  private readonly bpe: SentencePieceBpe;
  private readonly added = new Map<number, Added>();
  private readonly addedByContent = new Map<string, number>();
  private readonly splitter: AddedTokenSplitter;
  private readonly unkToken: string;
  private readonly unkTokenLength: number;
  private readonly addBos: boolean;
  private readonly addEos: boolean;
  private readonly pieces: (TokenPiece | undefined)[] = [];

  constructor(model: SentencePieceModel, opts: LlamaTokenizerOptions = {}) {
    const name = opts.name ?? 'tokenizer.model';
    const bad = (what: string): never => {
      throw new Error(`${name}: ${what}`);
    };
    this.legacy = opts.legacy ?? true;
    this.addPrefixSpace = opts.addPrefixSpace ?? true;
    this.model = this.legacy || opts.fromSlow ? model : { ...model, normalizerSpec: { ...model.normalizerSpec, addDummyPrefix: false } };
    this.bpe = new SentencePieceBpe(this.model);

    const tokens = new Map<string, string | null>();
    for (const key of SPECIAL_TOKEN_NAMES) {
      const v = opts.specialTokens?.[key];
      tokens.set(key, v === undefined ? (LLAMA_DEFAULTS[key] ?? null) : v);
    }
    const unk = tokens.get('unk_token');
    this.unkToken = unk ?? bad('LlamaTokenizer needs an unk_token');
    const additional = opts.additionalSpecialTokens ?? [];
    // all_special_tokens_extended: the attributes in SPECIAL_TOKENS_ATTRIBUTES order, then the additional ones, once each.
    const all: string[] = [];
    for (const t of [...[...tokens.values()].filter((t): t is string => t !== null && t !== ''), ...additional]) if (!all.includes(t)) all.push(t);
    this.allSpecialTokens = all;
    this.specialSet = new Set(all);

    const addedTokens = [...(opts.addedTokens ?? [])];
    const addedContents = new Set(addedTokens.map((t) => t.content));
    for (const t of addedTokens) if (t.single_word) bad(`added token ${JSON.stringify(t.content)} has single_word, which is not supported`);
    // PreTrainedTokenizer.__init__ adds every special token that is not an added token yet, at its vocabulary id.
    for (const t of all) {
      if (addedContents.has(t)) continue;
      if (!this.bpe.has(t)) bad(`special token ${JSON.stringify(t)} is neither an added token nor a piece of the model`);
      addedTokens.push({ id: this.bpe.pieceToId(t), content: t, lstrip: false, rstrip: false, single_word: false, normalized: false, special: true });
      addedContents.add(t);
    }
    const toId = (t: string) => addedTokens.find((a) => a.content === t)?.id ?? this.bpe.pieceToId(t);
    const ownText = new Set([...addedContents].filter((c) => !this.specialSet.has(c)));
    for (const t of additional) if (toId(t) >= model.pieces.length) ownText.add(t);
    let maxId = model.pieces.length - 1;
    for (const t of addedTokens) {
      this.added.set(t.id, { content: t.content, special: false, ownText: ownText.has(t.content) });
      this.addedByContent.set(t.content, t.id);
      if (t.id > maxId) maxId = t.id;
    }
    // all_special_ids: convert_tokens_to_ids of all_special_tokens.
    for (const t of all) {
      const id = this.tokenToIdOrUnk(t);
      const a = this.added.get(id);
      if (a) this.added.set(id, { ...a, special: true });
    }
    this.vocabSize = maxId + 1;
    this.splitter = new AddedTokenSplitter(addedTokens);
    this.unkTokenLength = this.bpe.encodeWithPieces(this.unkToken).length;

    const bos = tokens.get('bos_token');
    const eos = tokens.get('eos_token');
    this.bosId = bos ? this.tokenToIdOrUnk(bos) : undefined;
    this.eosId = eos ? this.tokenToIdOrUnk(eos) : undefined;
    this.addBos = opts.addBosToken ?? true;
    this.addEos = opts.addEosToken ?? false;
    if (this.addBos && this.bosId === undefined) bad('add_bos_token is true but there is no bos_token');
    if (this.addEos && this.eosId === undefined) bad('add_eos_token is true but there is no eos_token');
  }

  /** LlamaTokenizer.tokenize: token strings (added tokens' contents and piece strings). */
  tokenize(text: string): string[] {
    if (this.legacy || text === '') return this.baseTokenize(text);
    text = text.replaceAll(SPACE_SYMBOL, ' ');
    if (this.addPrefixSpace) text = SPACE_SYMBOL + text;
    const tokens = this.baseTokenize(text);
    if (tokens.length > 1 && tokens[0] === SPACE_SYMBOL && this.specialSet.has(tokens[1]!)) tokens.shift();
    return tokens;
  }

  encode(text: string): number[] {
    return this.tokenize(text).map((t) => this.tokenToIdOrUnk(t));
  }

  encodePrompt(text: string): number[] {
    const ids = this.encode(text);
    if (this.addBos) ids.unshift(this.bosId!);
    if (this.addEos) ids.push(this.eosId!);
    return ids;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const d = this.decoder(opts);
    let out = '';
    for (const id of ids) out += d.push(id);
    return out + d.flush();
  }

  decoder(opts: DecodeOptions = {}): IncrementalDecoder {
    return new LlamaDecoder(this, opts);
  }

  /** What an id stands for; an added token is `special` when it is in all_special_ids (what decode skips). */
  piece(id: number): TokenPiece {
    return (this.pieces[id] ??= sentencePieceTokenPiece(this.model, this.added.get(id), id));
  }

  /** Whether decode(skipSpecialTokens) drops the id: it is in all_special_ids. */
  isSpecial(id: number): boolean {
    return this.added.get(id)?.special ?? false;
  }

  tokenToId(token: string): number | undefined {
    return sentencePieceTokenId(token, this.addedByContent, this.bpe);
  }

  idToToken(id: number): string | undefined {
    return this.added.get(id)?.content ?? this.model.pieces[id]?.piece;
  }

  /** Ids of text through the SentencePiece model alone, as this tokenizer loads it. */
  encodeModel(text: string): number[] {
    return this.bpe.encode(text);
  }

  /** @internal The added token of an id, for the decoder. */
  addedToken(id: number): Added | undefined {
    return this.added.get(id);
  }

  /** @internal Resolves a piece string for the decoder's sp.decode (undefined: not a piece). */
  pieceId(piece: string): number | undefined {
    return this.bpe.has(piece) ? this.bpe.pieceToId(piece) : undefined;
  }

  /** convert_tokens_to_ids: added tokens first, then piece_to_id (the <unk> id when unknown). */
  private tokenToIdOrUnk(token: string): number {
    return this.addedByContent.get(token) ?? this.bpe.pieceToId(token);
  }

  /** PreTrainedTokenizer.tokenize: split on added tokens (with lstrip/rstrip), _tokenize the texts. */
  private baseTokenize(text: string): string[] {
    const out: string[] = [];
    for (const segment of this.splitter.split(text)) {
      if ('id' in segment) out.push(this.added.get(segment.id)!.content);
      else out.push(...this.spTokenize(segment.text));
    }
    return out;
  }

  /** LlamaTokenizer._tokenize. */
  private spTokenize(text: string): string[] {
    if (this.legacy || !(text.startsWith(SPACE_SYMBOL) || text.startsWith(' '))) return this.bpe.encodeWithPieces(text).map((p) => p.piece);
    const tokens = this.bpe.encodeWithPieces(this.unkToken + text).map((p) => p.piece);
    return tokens.length >= this.unkTokenLength ? tokens.slice(this.unkTokenLength) : tokens;
  }
}

/**
 * _decode and convert_tokens_to_string one id at a time. Upstream joins its texts with " ": the " " is output
 * when the next text starts (a run's text only once it has some, since an empty run between added tokens is
 * dropped; the last run counts even when empty).
 */
class LlamaDecoder implements IncrementalDecoder {
  private readonly sp: SentencePieceRunDecoder;
  /** A text has been output since the last flush: the next one is preceded by " ". */
  private texts = false;
  /** Tokens of the current run (convert_tokens_to_string's `tokens`), and whether it has output text. */
  private runTokens = 0;
  private runHasText = false;
  private prevIsSpecial = false;

  constructor(
    private readonly tok: LlamaTokenizer,
    private readonly opts: DecodeOptions,
  ) {
    this.sp = new SentencePieceRunDecoder(tok.model, (p) => tok.pieceId(p));
  }

  push(id: number): string {
    const added = this.tok.addedToken(id);
    if (added?.special && this.opts.skipSpecialTokens) return '';
    if (added?.ownText) {
      const out = this.endRun(false);
      const sep = this.texts ? ' ' : '';
      this.texts = true;
      return out + sep + added.content;
    }
    let token = added?.content ?? this.tok.model.pieces[id]?.piece;
    if (token === undefined) throw new Error(`tokenizer: id ${id} is not in the vocabulary`);
    const i = this.runTokens++;
    if (i === 0 && this.tok.addPrefixSpace && token.startsWith(SPACE_SYMBOL)) token = token.slice(SPACE_SYMBOL.length);
    let text: string;
    if (added) {
      // A special token kept in the output (skip_special_tokens false): its text, ending the sp.decode call.
      text = this.sp.flush() + token;
      this.prevIsSpecial = true;
    } else {
      // Current transformers (came with add_prefix_space, 4.38 as far as we can tell): a space after a leading
      // special token when the next piece has no "▁" of its own. Only reachable with skipSpecialTokens false.
      text = this.prevIsSpecial && i === 1 && this.tok.addPrefixSpace && !token.startsWith(SPACE_SYMBOL) ? ' ' : '';
      text += this.sp.pushPiece(token); // sp.decode of piece strings (DecodePieces)
      this.prevIsSpecial = false;
    }
    return this.runText(text);
  }

  flush(): string {
    const out = this.endRun(true);
    this.texts = false;
    return out;
  }

  /** Text of the current run, preceded by the joining " " when it is the run's first. */
  private runText(text: string): string {
    if (text === '' || this.runHasText) return text;
    this.runHasText = true;
    const sep = this.texts ? ' ' : '';
    this.texts = true;
    return sep + text;
  }

  /** Ends the run: its held-back text; at the very end an empty run still counts as a text. */
  private endRun(last: boolean): string {
    let out = this.runText(this.sp.flush());
    if (last && this.runTokens > 0 && !this.runHasText && this.texts) out += ' ';
    this.runTokens = 0;
    this.runHasText = false;
    this.prevIsSpecial = false;
    return out;
  }
}
