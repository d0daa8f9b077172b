// A small deterministic BPE trainer in SentencePiece's style, for synthetic tokenizer.model files: each line is
// normalized as SentencePiece does (a "▁" prefix when addDummyPrefix, spaces as "▁"), split into words that start at
// a "▁", and the most frequent adjacent pair is merged until no pair occurs twice (ties: the pair whose text
// sorts first). As in SentencePiece's BPE trainer, a piece never spans two character classes (Han, other
// letters, digits, the rest) and is at most 16 characters; merged pieces score 0, -1, -2, … in merge order and
// the single characters follow, most frequent first. Same corpus → same pieces, every run.

export interface TrainedPiece {
  readonly piece: string;
  readonly score: number;
}

const SPACE = '\u2581';
const MAX_PIECE_CHARS = 16;

const classes = new Map<string, number>();

function charClass(c: string): number {
  let cls = classes.get(c);
  if (cls === undefined) {
    cls = /\p{Script=Han}/u.test(c) ? 1 : /\p{L}|\p{M}/u.test(c) ? 2 : /\p{N}/u.test(c) ? 3 : 4;
    classes.set(c, cls);
  }
  return cls;
}

/** Class of a piece's characters after an optional leading "▁"; 0 for "▁" alone, -1 when they are mixed. */
function pieceClass(chars: readonly string[]): number {
  let cls = 0;
  for (let i = chars[0] === SPACE ? 1 : 0; i < chars.length; i++) {
    if (chars[i] === SPACE) return -1; // "▁" only at the start
    const c = charClass(chars[i]!);
    if (cls === 0) cls = c;
    else if (c !== cls) return -1;
  }
  return cls;
}

// Any fixed total order keeps training deterministic; UTF-16 order is enough.
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function trainBpe(lines: readonly string[], maxMerges: number, addDummyPrefix = true): TrainedPiece[] {
  // Words with their counts, each as a list of symbols (strings of whole characters).
  const wordCounts = new Map<string, number>();
  const charCounts = new Map<string, number>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const normalized = (addDummyPrefix ? SPACE : '') + line.trim().replace(/ +/g, ' ').replaceAll(' ', SPACE);
    for (const word of normalized.match(new RegExp(`${SPACE}[^${SPACE}]*|[^${SPACE}]+`, 'gu')) ?? []) {
      wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      for (const c of word) charCounts.set(c, (charCounts.get(c) ?? 0) + 1);
    }
  }
  const words = [...wordCounts.entries()].sort((a, b) => compareStrings(a[0], b[0])).map(([w, count]) => ({ symbols: Array.from(w), count }));

  const pieces: TrainedPiece[] = [];
  const known = new Set<string>();
  for (let merge = 0; pieces.length < maxMerges; merge++) {
    const pairCounts = new Map<string, { left: string; right: string; count: number }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = symbols[i] + '\u0000' + symbols[i + 1];
        const entry = pairCounts.get(key);
        if (entry) entry.count += count;
        else pairCounts.set(key, { left: symbols[i]!, right: symbols[i + 1]!, count });
      }
    }
    let best: { left: string; right: string; count: number } | undefined;
    for (const entry of pairCounts.values()) {
      if (entry.count < 2 || (best && entry.count < best.count)) continue;
      if (best && entry.count === best.count && compareStrings(entry.left + '\u0000' + entry.right, best.left + '\u0000' + best.right) > 0) continue;
      const merged = Array.from(entry.left + entry.right);
      if (merged.length <= MAX_PIECE_CHARS && pieceClass(merged) >= 0) best = entry;
    }
    if (!best) break;
    const merged = best.left + best.right;
    for (const w of words) {
      const s = w.symbols;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === best.left && s[i + 1] === best.right) s.splice(i, 2, merged);
    }
    if (!known.has(merged)) {
      known.add(merged);
      pieces.push({ piece: merged, score: -pieces.length });
    }
  }
  const chars = [...charCounts.entries()].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
  for (const [c] of chars) if (!known.has(c)) pieces.push({ piece: c, score: -pieces.length });
  return pieces;
}
