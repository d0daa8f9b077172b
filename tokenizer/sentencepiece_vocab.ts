// What the ids of a SentencePiece tokenizer stand for — the model's pieces with the added tokens over them —
// shared by InternLM2Tokenizer's and LlamaTokenizer's rules (sentencepiece_tokenizer.ts, llama_tokenizer.ts).
import type { SentencePieceBpe } from './sentencepiece_bpe.js';
import { PIECE_TYPE, pieceToByte, type SentencePieceModel } from './sentencepiece_model.js';
import { SPACE_SYMBOL } from './sentencepiece_normalizer.js';
import type { TokenPiece } from './tokenizer.js';

const utf8 = new TextEncoder();

/**
 * An id as text or bytes: an added token's text, a byte-fallback piece's byte, nothing for a control piece, the
 * unknown piece's surface, else the piece with "▁" as a space. Throws for an id in neither.
 */
export function sentencePieceTokenPiece(model: SentencePieceModel, added: { readonly content: string; readonly special: boolean } | undefined, id: number): TokenPiece {
  if (added) return { kind: 'added', text: added.content, special: added.special };
  const sp = model.pieces[id];
  if (!sp) throw new Error(`tokenizer: id ${id} is not in the vocabulary`);
  if (sp.type === PIECE_TYPE.byte) return { kind: 'bytes', bytes: Uint8Array.of(pieceToByte(sp.piece)) };
  if (sp.type === PIECE_TYPE.control) return { kind: 'bytes', bytes: new Uint8Array(0) };
  if (sp.type === PIECE_TYPE.unknown) return { kind: 'bytes', bytes: utf8.encode(model.trainerSpec.unkSurface) };
  return { kind: 'bytes', bytes: utf8.encode(sp.piece.replaceAll(SPACE_SYMBOL, ' ')) };
}

/** A token string's id: an added token first, then a piece of the model; undefined for neither. */
export function sentencePieceTokenId(token: string, addedByContent: ReadonlyMap<string, number>, bpe: SentencePieceBpe): number | undefined {
  return addedByContent.get(token) ?? (bpe.has(token) ? bpe.pieceToId(token) : undefined);
}
