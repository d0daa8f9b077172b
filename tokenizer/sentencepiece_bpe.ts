// SentencePiece BPE encoding (bpe_model.cc Model::SampleEncode without dropout, then
// SentencePieceProcessor::PopulateSentencePieceText): normalize; split into characters, user-defined symbols
// whole and frozen; repeatedly merge the adjacent pair whose concatenation is a piece with the highest score
// (ties: leftmost); re-split UNUSED pieces into the pair they were last formed from; map to ids, unknown
// characters to byte pieces (byte_fallback) or one <unk> per run of unknown characters.
import { PIECE_TYPE, type SentencePieceModel } from './sentencepiece_model.js';
import { PrefixMatcher, charLength, normalize } from './sentencepiece_normalizer.js';

const utf8 = new TextEncoder();

interface Symbol {
  piece: string;
  prev: number;
  next: number;
  frozen: boolean;
}

interface Pair {
  left: number;
  right: number;
  score: number;
  length: number;
}

/** Max-heap on (score, then smaller left index): SymbolPairComparator. */
class Agenda {
  private readonly heap: Pair[] = [];

  get size(): number {
    return this.heap.length;
  }

  private static before(a: Pair, b: Pair): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }

  push(p: Pair): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!Agenda.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): Pair {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && Agenda.before(h[l]!, h[best]!)) best = l;
        if (r < h.length && Agenda.before(h[r]!, h[best]!)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}

export class SentencePieceBpe {
  /** NORMAL, USER_DEFINED and UNUSED pieces: what merges may form (ModelInterface::pieces_). */
  private readonly pieces = new Map<string, number>();
  /** CONTROL, UNKNOWN and BYTE pieces (reserved_id_map_): looked up first by PieceToId. */
  private readonly reserved = new Map<string, number>();
  private readonly matcher: PrefixMatcher;
  readonly unkId: number;
  private readonly byteIds: number[] = [];

  constructor(private readonly model: SentencePieceModel) {
    const userDefined: string[] = [];
    let unkId = -1;
    model.pieces.forEach((p, id) => {
      const normal = p.type === PIECE_TYPE.normal || p.type === PIECE_TYPE.userDefined || p.type === PIECE_TYPE.unused;
      (normal ? this.pieces : this.reserved).set(p.piece, id);
      if (p.type === PIECE_TYPE.userDefined) userDefined.push(p.piece);
      if (p.type === PIECE_TYPE.unknown) unkId = id;
    });
    this.unkId = unkId;
    this.matcher = new PrefixMatcher(userDefined);
    if (model.trainerSpec.byteFallback) {
      for (let b = 0; b < 256; b++) this.byteIds.push(this.pieceToId(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
    }
  }

  /** PieceToId: reserved pieces first, then ordinary ones, else <unk>. */
  pieceToId(piece: string): number {
    return this.reserved.get(piece) ?? this.pieces.get(piece) ?? this.unkId;
  }

  /** Whether `piece` is a piece of the model (any type). */
  has(piece: string): boolean {
    return this.reserved.has(piece) || this.pieces.has(piece);
  }

  normalize(text: string): string {
    return normalize(text, this.model.normalizerSpec, this.matcher);
  }

  /** Ids of `text`, as sp.encode(text, out_type=int). */
  encode(text: string): number[] {
    return this.encodeWithPieces(text).map((p) => p.id);
  }

  /** Ids with the piece strings sp.encode(text, out_type=str) gives (byte pieces as "<0xXX>"). */
  encodeWithPieces(text: string): { piece: string; id: number }[] {
    const out: { piece: string; id: number }[] = [];
    let prevUnknown = false;
    for (const { piece, id } of this.bpe(this.normalize(text))) {
      const type = this.model.pieces[id]?.type;
      const unknown = type === PIECE_TYPE.unknown;
      if (unknown && this.model.trainerSpec.byteFallback) {
        for (const b of utf8.encode(piece)) out.push({ piece: this.model.pieces[this.byteIds[b]!]!.piece, id: this.byteIds[b]! });
      } else if (unknown && prevUnknown) {
        out[out.length - 1]!.piece += piece; // a run of unknown characters is one <unk>
      } else {
        out.push({ piece, id });
      }
      prevUnknown = unknown;
    }
    return out;
  }

  /** The merge loop on a normalized string: (piece, id) in order. */
  private bpe(normalized: string): { piece: string; id: number }[] {
    if (normalized === '') return [];
    const symbols: Symbol[] = [];
    for (let pos = 0; pos < normalized.length; ) {
      const symbol = this.matcher.match(normalized, pos);
      const piece = symbol ?? normalized.slice(pos, pos + charLength(normalized, pos));
      symbols.push({ piece, prev: symbols.length - 1, next: -1, frozen: symbol !== undefined });
      pos += piece.length;
    }
    for (let i = 0; i + 1 < symbols.length; i++) symbols[i]!.next = i + 1;

    const agenda = new Agenda();
    // For UNUSED pieces: the pair each was last formed from, to split it back afterwards.
    const revMerge = new Map<string, [string, string]>();
    const maybeAddPair = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const l = symbols[left]!;
      const r = symbols[right]!;
      if (l.frozen || r.frozen) return;
      const merged = l.piece + r.piece;
      const id = this.pieces.get(merged);
      if (id === undefined) return;
      const p = this.model.pieces[id]!;
      agenda.push({ left, right, score: p.score, length: merged.length });
      if (p.type === PIECE_TYPE.unused) revMerge.set(merged, [l.piece, r.piece]);
    };
    for (let i = 1; i < symbols.length; i++) maybeAddPair(i - 1, i);

    while (agenda.size > 0) {
      const top = agenda.pop();
      const l = symbols[top.left]!;
      const r = symbols[top.right]!;
      // Stale: one side was merged away or grew since the pair was queued.
      if (l.piece === '' || r.piece === '' || l.piece.length + r.piece.length !== top.length) continue;
      l.piece += r.piece;
      l.next = r.next;
      if (r.next >= 0) symbols[r.next]!.prev = top.left;
      r.piece = '';
      maybeAddPair(l.prev, top.left);
      maybeAddPair(top.left, l.next);
    }

    const out: { piece: string; id: number }[] = [];
    const resegment = (piece: string) => {
      const id = this.pieceToId(piece);
      const split = this.model.pieces[id]?.type === PIECE_TYPE.unused ? revMerge.get(piece) : undefined;
      if (!split) {
        out.push({ piece, id });
        return;
      }
      resegment(split[0]);
      resegment(split[1]);
    };
    for (let i = 0; i !== -1; i = symbols[i]!.next) resegment(symbols[i]!.piece);
    return out;
  }
}
