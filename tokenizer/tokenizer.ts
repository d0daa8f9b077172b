// The tokenizer interface the model uses, and the Qwen2 byte-level BPE tokenizer for InternVL2-1B on
// @huggingface/tokenizers (SPEC §8). Encoding is the library's; decoding is done here at the byte level so that
// it matches the slow Qwen2Tokenizer exactly (added tokens split the text into separately decoded runs, invalid
// UTF-8 → U+FFFD) and so that the streaming decoder (stream_decoder.ts) shares the same bytes per id.
// loadTokenizer picks the implementation from the files: tokenizer.json or vocab.json + merges.txt (Qwen2), else
// tokenizer.model (SentencePiece BPE by tokenizer_config.json's tokenizer_class: InternLM2Tokenizer for InternVL2-2B,
// sentencepiece_tokenizer.ts; LlamaTokenizer for InternVL2-4B's Phi-3, llama_tokenizer.ts).
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { tokenToBytes } from './byte_level.js';
import { loadSentencePieceTokenizer } from './sentencepiece_tokenizer.js';
import { ByteLevelDecoder } from './stream_decoder.js';
import {
  buildQwen2TokenizerJson,
  mergeAddedTokens,
  parseMergesTxt,
  type TokenizerConfigJson,
  type TokenizerJson,
} from './tokenizer_json.js';

/** File contents (text), as read from a model directory or fetched from the hub. */
export interface TokenizerFiles {
  tokenizerJson?: string;
  vocabJson?: string;
  mergesTxt?: string;
  addedTokensJson?: string;
  tokenizerConfigJson?: string;
  /** SentencePiece tokenizer.model (binary); used when neither tokenizer.json nor vocab.json + merges.txt is given. */
  tokenizerModel?: Uint8Array;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

/**
 * What one id stands for: bytes of text, or an added token. For SentencePiece the bytes are the piece's own
 * surface ("▁" as a space, a byte piece's byte); the context rules of decoding (the dropped dummy-prefix space,
 * U+FFFD per invalid byte) belong to the tokenizer's decoder.
 */
export type TokenPiece =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'added'; text: string; special: boolean };

/** Ids in, text out, one id at a time: the pieces of push()… + flush() concatenate to decode() of the ids. */
export interface IncrementalDecoder {
  /** Text that became complete with this id ("" while a character is still partial). */
  push(id: number): string;
  /** Emits whatever is held back and resets the state, so the decoder can start a new text. */
  flush(): string;
}

/** A model's tokenizer: Qwen2 byte-level BPE (QwenTokenizer) or SentencePiece BPE (SentencePieceTokenizer, LlamaTokenizer). */
export interface Tokenizer {
  /** Highest id + 1, added tokens included. */
  readonly vocabSize: number;
  /** Token ids of text, added tokens matched atomically; never adds BOS/EOS (`add_special_tokens=False`). */
  encode(text: string): number[];
  /** Ids of a whole prompt, as upstream's `tokenizer(prompt).input_ids`: encode() plus BOS/EOS where the tokenizer adds them. */
  encodePrompt(text: string): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /** A fresh incremental decoder with the same rules as decode(). */
  decoder(opts?: DecodeOptions): IncrementalDecoder;
  /** What an id stands for; throws for an id outside the vocabulary. */
  piece(id: number): TokenPiece;
  isSpecial(id: number): boolean;
  /** The id of a token string (an added token's text or a vocabulary entry), undefined when there is none. */
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

/**
 * What QwenTokenizer uses of @huggingface/tokenizers' Tokenizer. Declared here so that the package's public types
 * do not pull in that library's declarations (which do not type-check under moduleResolution NodeNext).
 */
export interface BpeTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  id_to_token(id: number): string | undefined;
  token_to_id(token: string): number | undefined;
}

export class QwenTokenizer implements Tokenizer {
  /** Highest id + 1 (151655 for InternVL2-1B: 151643 BPE tokens + 12 added tokens). */
  readonly vocabSize: number;
  private readonly pieces: (TokenPiece | undefined)[] = [];
  private readonly added = new Map<number, { content: string; special: boolean }>();

  constructor(private readonly hf: BpeTokenizer, json: TokenizerJson) {
    let maxId = -1;
    for (const id of Object.values(json.model.vocab)) if (id > maxId) maxId = id;
    for (const t of json.added_tokens) {
      this.added.set(t.id, { content: t.content, special: t.special });
      if (t.id > maxId) maxId = t.id;
    }
    this.vocabSize = maxId + 1;
  }

  /** Token ids of text; never adds BOS/EOS (Qwen2 has none, SPEC §8). */
  encode(text: string): number[] {
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    for (const id of ids) if (id === undefined) throw new Error(`tokenizer: unknown token in ${JSON.stringify(text)}`);
    return ids;
  }

  /** Qwen2 adds no BOS: the same as encode. */
  encodePrompt(text: string): number[] {
    return this.encode(text);
  }

  decoder(opts: DecodeOptions = {}): IncrementalDecoder {
    return new ByteLevelDecoder(this, opts);
  }

  /** Text of ids, like Qwen2Tokenizer.decode (spaces_between_special_tokens false, no cleanup). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading U+FEFF, as Python does
    const run: Uint8Array[] = [];
    let out = '';
    const flushRun = () => {
      if (run.length === 0) return;
      out += utf8.decode(concatBytes(run));
      run.length = 0;
    };
    for (const id of ids) {
      const piece = this.piece(id);
      if (piece.kind === 'bytes') {
        run.push(piece.bytes);
      } else if (!(piece.special && opts.skipSpecialTokens)) {
        flushRun();
        out += piece.text;
      }
    }
    flushRun();
    return out;
  }

  /** Bytes of a BPE id, or the text of an added token; throws for an id outside the vocabulary. */
  piece(id: number): TokenPiece {
    let p = this.pieces[id];
    if (p) return p;
    const added = this.added.get(id);
    if (added) {
      p = { kind: 'added', text: added.content, special: added.special };
    } else {
      const token = this.hf.id_to_token(id);
      const bytes = token === undefined ? null : tokenToBytes(token);
      if (!bytes) throw new Error(`tokenizer: id ${id} is not in the vocabulary`);
      p = { kind: 'bytes', bytes };
    }
    this.pieces[id] = p;
    return p;
  }

  isSpecial(id: number): boolean {
    return this.added.get(id)?.special ?? false;
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * tokenizer.json when present; otherwise the equivalent object built from the slow file set
 * (vocab.json + merges.txt + added_tokens.json + tokenizer_config.json).
 */
export function tokenizerJsonFromFiles(files: TokenizerFiles): TokenizerJson {
  if (files.tokenizerJson !== undefined) return JSON.parse(files.tokenizerJson) as TokenizerJson;
  if (files.vocabJson === undefined || files.mergesTxt === undefined) {
    throw new Error('tokenizer: need tokenizer.json, vocab.json and merges.txt, or tokenizer.model');
  }
  const vocab = JSON.parse(files.vocabJson) as Record<string, number>;
  const merges = parseMergesTxt(files.mergesTxt);
  const addedTokens = files.addedTokensJson ? (JSON.parse(files.addedTokensJson) as Record<string, number>) : {};
  const added = mergeAddedTokens(addedTokens, parseConfig(files));
  return buildQwen2TokenizerJson(vocab, merges, added);
}

function parseConfig(files: TokenizerFiles): TokenizerConfigJson | undefined {
  return files.tokenizerConfigJson ? (JSON.parse(files.tokenizerConfigJson) as TokenizerConfigJson) : undefined;
}

/**
 * The tokenizer of a file set: tokenizer.json, else vocab.json + merges.txt (Qwen2), else tokenizer.model
 * (+ tokenizer_config.json, added_tokens.json). `where` names the files' location in SentencePiece errors.
 */
export function loadTokenizer(files: TokenizerFiles, where?: string): Tokenizer {
  const hasQwen = files.tokenizerJson !== undefined || (files.vocabJson !== undefined && files.mergesTxt !== undefined);
  if (!hasQwen && files.tokenizerModel !== undefined) {
    const addedTokens = files.addedTokensJson ? (JSON.parse(files.addedTokensJson) as Record<string, number>) : {};
    const name = where === undefined ? 'tokenizer.model' : `${where}: tokenizer.model`;
    return loadSentencePieceTokenizer(files.tokenizerModel, parseConfig(files), addedTokens, name);
  }
  return loadQwenTokenizer(files);
}

function loadQwenTokenizer(files: TokenizerFiles): QwenTokenizer {
  const json = tokenizerJsonFromFiles(files);
  // Qwen2's tokenizer_config says clean_up_tokenization_spaces false; the library would default to true.
  const config = { ...parseConfig(files), clean_up_tokenization_spaces: false };
  return new QwenTokenizer(new HfTokenizer(json, config), json);
}
