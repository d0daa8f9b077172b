// Decoding SentencePiece ids one at a time, with SentencePieceProcessor::Decode's rules for a run of model
// pieces: "▁" reads as a space; the first piece's leading "▁" is dropped while nothing has been output
// (add_dummy_prefix or remove_extra_whitespaces); CONTROL pieces are invisible; <unk> reads as unk_surface
// (" ⁇ "); consecutive <0xXX> byte pieces are joined and read as UTF-8 where every byte that does not start a
// valid character becomes one U+FFFD (string_util::DecodeUTF8, not the WHATWG decoder's maximal subparts).
// SentencePieceRunDecoder is one sp.decode call, by ids or by piece strings (transformers' slow tokenizers decode
// piece strings, which need not be pieces). SentencePieceDecoder is InternLM2Tokenizer's decode on top of it:
// added tokens (tokenizer_config.json) are their text, or invisible when special and skipped; one that is
// output ends the run, so the next run drops its leading "▁" again, as separate sp.decode calls would.
import type { DecodeOptions, IncrementalDecoder } from './tokenizer.js';
import { PIECE_TYPE, pieceToByte, type SentencePieceModel } from './sentencepiece_model.js';
import { SPACE_SYMBOL } from './sentencepiece_normalizer.js';

export interface AddedTokenInfo {
  readonly content: string;
  readonly special: boolean;
}

/** What the decoder needs of the tokenizer. */
export interface SentencePieceDecodeSource {
  readonly model: SentencePieceModel;
  addedToken(id: number): AddedTokenInfo | undefined;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // a U+FEFF is text
const isTrail = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/**
 * Length of the valid UTF-8 character at bytes[i], 0 when the byte there cannot start one (it then reads as
 * U+FFFD), or -1 when more bytes could still complete it (only when not `final`).
 */
function validCharLength(bytes: readonly number[], i: number, final: boolean): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const need = (b0 & 0xe0) === 0xc0 ? 2 : (b0 & 0xf0) === 0xe0 ? 3 : (b0 & 0xf8) === 0xf0 ? 4 : 0;
  if (need === 0) return 0;
  const have = Math.min(need, bytes.length - i);
  for (let k = 1; k < have; k++) if (!isTrail(bytes[i + k])) return 0;
  if (have < need) return final ? 0 : -1;
  let cp: number;
  if (need === 2) cp = ((b0 & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
  else if (need === 3) cp = ((b0 & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
  else cp = ((b0 & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
  const min = need === 2 ? 0x80 : need === 3 ? 0x800 : 0x10000;
  const valid = cp >= min && (cp < 0xd800 || (cp >= 0xe000 && cp <= 0x10ffff));
  return valid ? need : 0;
}

/** Decodes the complete characters of `bytes`; returns the text and how many bytes it used. */
export function decodeSentencePieceBytes(bytes: readonly number[], final: boolean): { text: string; used: number } {
  let text = '';
  let i = 0;
  while (i < bytes.length) {
    const n = validCharLength(bytes, i, final);
    if (n < 0) break;
    if (n === 0) {
      text += '\uFFFD';
      i += 1;
    } else {
      text += utf8.decode(Uint8Array.from(bytes.slice(i, i + n)));
      i += n;
    }
  }
  return { text, used: i };
}

/**
 * One sp.decode call, fed a piece at a time: by id (DecodeIds) or by piece string (DecodePieces, which
 * transformers' slow tokenizers use). A string that is not a piece of the model reads as itself, "▁" included
 * (DecodeSentencePiece: PieceToId gives <unk>, whose piece it is not, so the surface is the string as given);
 * the string "<unk>" reads as unk_surface. flush() ends the call: held-back bytes come out and the
 * leading-"▁" state resets, as a new sp.decode call would start.
 */
export class SentencePieceRunDecoder {
  private bytes: number[] = [];
  // Decode's state within one call: whether it has output text, whether a leading "▁" may still be
  // dropped (once false, false for the rest of the call), and whether the last piece's "▁" was dropped.
  private runHasText = false;
  private isBosWs = true;
  private bosWsSeen = false;

  /** `pieceId` resolves a piece string to its id (any type), undefined when the model has no such piece. */
  constructor(
    private readonly model: SentencePieceModel,
    private readonly pieceId: (piece: string) => number | undefined = () => undefined,
  ) {}

  /** Text that became complete with this id. */
  pushId(id: number): string {
    const piece = this.model.pieces[id];
    if (!piece) throw new Error(`tokenizer: id ${id} is not in the vocabulary`);
    if (piece.type === PIECE_TYPE.byte) {
      this.bytes.push(pieceToByte(piece.piece));
      return this.takeBytes(false);
    }
    return this.pushSurface(piece.piece, piece.type);
  }

  /** Text that became complete with this piece string (DecodePieces' rules). */
  pushPiece(piece: string): string {
    const id = this.pieceId(piece);
    return id === undefined ? this.pushSurface(piece, RAW) : this.pushId(id);
  }

  /** Ends the call: held-back bytes are emitted (U+FFFD for an incomplete character) and the state resets. */
  flush(): string {
    const out = this.takeBytes(true);
    this.runHasText = false;
    this.isBosWs = true;
    this.bosWsSeen = false;
    return out;
  }

  private pushSurface(piece: string, type: number): string {
    const before = this.takeBytes(true);
    if (this.bosWsSeen || this.runHasText) this.isBosWs = false;
    let text: string;
    [text, this.bosWsSeen] = this.decodePiece(piece, type);
    if (text !== '') this.runHasText = true;
    return before + text;
  }

  private takeBytes(final: boolean): string {
    if (this.bytes.length === 0) return '';
    const { text, used } = decodeSentencePieceBytes(this.bytes, final);
    this.bytes = this.bytes.slice(used);
    if (text !== '') this.runHasText = true;
    return text;
  }

  /** DecodeSentencePiece: the text of one non-byte piece and whether it consumed the leading "▁". */
  private decodePiece(piece: string, type: number): [string, boolean] {
    if (type === RAW) return [piece, false];
    if (type === PIECE_TYPE.control) return ['', false];
    if (type === PIECE_TYPE.unknown) return [this.model.trainerSpec.unkSurface, false];
    const { addDummyPrefix, removeExtraWhitespaces } = this.model.normalizerSpec;
    let consumed = false;
    if (this.isBosWs && (addDummyPrefix || removeExtraWhitespaces)) {
      if (piece.startsWith(SPACE_SYMBOL)) {
        piece = piece.slice(SPACE_SYMBOL.length);
        consumed = true;
      }
      // With remove_extra_whitespaces every leading "▁" goes, so the state stays "at the beginning".
      if (removeExtraWhitespaces) consumed = false;
    }
    return [piece.replaceAll(SPACE_SYMBOL, ' '), consumed];
  }
}

/** A piece string that is not in the model (DecodePieces outputs it as it is). */
const RAW = -1;

/** InternLM2Tokenizer's decode: added tokens are their text (or skipped), each run between them one sp.decode. */
export class SentencePieceDecoder implements IncrementalDecoder {
  private readonly run: SentencePieceRunDecoder;

  constructor(
    private readonly source: SentencePieceDecodeSource,
    private readonly opts: DecodeOptions = {},
  ) {
    this.run = new SentencePieceRunDecoder(source.model);
  }

  push(id: number): string {
    const added = this.source.addedToken(id);
    if (added) {
      if (added.special && this.opts.skipSpecialTokens) return '';
      return this.flush() + added.content;
    }
    return this.run.pushId(id);
  }

  /** Ends the run: held-back bytes are emitted (U+FFFD for an incomplete character) and the state resets. */
  flush(): string {
    return this.run.flush();
  }
}
