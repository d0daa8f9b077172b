// SentencePiece's identity normalizer (normalizer.cc Normalizer::Normalize without a precompiled charsmap),
// and the prefix matcher for user-defined symbols that both the normalizer and the BPE splitter use.
// Only ASCII space (U+0020) counts as whitespace here: tabs and newlines are ordinary characters.
import type { NormalizerSpec } from './sentencepiece_model.js';

export const SPACE_SYMBOL = '\u2581'; // ▁

/** Longest match of a user-defined symbol at a position (normalizer.cc PrefixMatcher). */
export class PrefixMatcher {
  private readonly byFirst = new Map<string, string[]>();

  constructor(symbols: Iterable<string>) {
    for (const s of symbols) {
      const first = s[0]!;
      let list = this.byFirst.get(first);
      if (!list) this.byFirst.set(first, (list = []));
      list.push(s);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.length - a.length);
  }

  /** The longest symbol starting at text[pos], or undefined. */
  match(text: string, pos: number): string | undefined {
    const list = this.byFirst.get(text[pos]!);
    if (list) for (const s of list) if (text.startsWith(s, pos)) return s;
    return undefined;
  }
}

/** Length in UTF-16 units of the code point at text[pos] (a lone surrogate counts as one). */
export function charLength(text: string, pos: number): number {
  const c = text.charCodeAt(pos);
  if (c >= 0xd800 && c <= 0xdbff && pos + 1 < text.length) {
    const d = text.charCodeAt(pos + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function isLoneSurrogate(text: string, pos: number, length: number): boolean {
  const c = text.charCodeAt(pos);
  return length === 1 && c >= 0xd800 && c <= 0xdfff;
}

/**
 * The normalized string SentencePiece encodes: optionally strip leading/trailing spaces and collapse runs of
 * spaces, prepend "▁" (add_dummy_prefix), and spell spaces as "▁" (escape_whitespaces). User-defined symbols
 * are copied as units. A lone surrogate becomes U+FFFD, as its UTF-8 encoding would.
 */
export function normalize(input: string, spec: NormalizerSpec, matcher: PrefixMatcher): string {
  if (input === '') return '';
  // NormalizePrefix: a user-defined symbol, else one character.
  const prefixAt = (pos: number): [text: string, consumed: number] => {
    const symbol = matcher.match(input, pos);
    if (symbol !== undefined) return [symbol, symbol.length];
    const n = charLength(input, pos);
    return [isLoneSurrogate(input, pos, n) ? '\uFFFD' : input.slice(pos, pos + n), n];
  };
  const space = spec.escapeWhitespaces ? SPACE_SYMBOL : ' ';
  let pos = 0;
  if (spec.removeExtraWhitespaces) {
    while (pos < input.length) {
      const [text, consumed] = prefixAt(pos);
      if (text !== ' ') break;
      pos += consumed;
    }
  }
  if (pos >= input.length) return '';
  let out = spec.addDummyPrefix ? space : '';
  let isPrevSpace = spec.removeExtraWhitespaces;
  while (pos < input.length) {
    let [text, consumed] = prefixAt(pos);
    if (isPrevSpace) {
      let k = 0;
      while (k < text.length && text[k] === ' ') k++;
      text = text.slice(k);
    }
    if (text !== '') {
      out += spec.escapeWhitespaces ? text.replaceAll(' ', SPACE_SYMBOL) : text;
      isPrevSpace = text.endsWith(' ');
    }
    pos += consumed;
    if (!spec.removeExtraWhitespaces) isPrevSpace = false;
  }
  if (spec.removeExtraWhitespaces) while (out.endsWith(space)) out = out.slice(0, -space.length);
  return out;
}
