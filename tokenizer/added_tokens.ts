// Splitting text on added tokens as transformers' slow PreTrainedTokenizer.tokenize does: its trie finds
// the leftmost match, the longest one there; each match is one token; a token with rstrip/lstrip strips the
// whitespace (Python's str.isspace) that follows/precedes it; empty text segments are dropped.

export interface AddedTokenSpec {
  readonly id: number;
  readonly content: string;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export type Segment = { readonly text: string } | { readonly id: number };

const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);

export class AddedTokenSplitter {
  private readonly byFirst = new Map<string, AddedTokenSpec[]>();

  constructor(tokens: readonly AddedTokenSpec[]) {
    for (const t of tokens) {
      if (t.content === '') continue;
      let list = this.byFirst.get(t.content[0]!);
      if (!list) this.byFirst.set(t.content[0]!, (list = []));
      list.push(t);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  split(text: string): Segment[] {
    const parts: (string | AddedTokenSpec)[] = [];
    let start = 0;
    for (let pos = 0; pos < text.length; ) {
      const token = this.byFirst.get(text[pos]!)?.find((t) => text.startsWith(t.content, pos));
      if (!token) {
        pos++;
        continue;
      }
      parts.push(text.slice(start, pos), token);
      pos += token.content.length;
      start = pos;
    }
    parts.push(text.slice(start));
    // Stripping around tokens (parts alternate: text, token, text, …, text).
    for (let i = 1; i < parts.length; i += 2) {
      const token = parts[i] as AddedTokenSpec;
      if (token.rstrip) parts[i + 1] = (parts[i + 1] as string).replace(LEADING_SPACE, '');
      if (token.lstrip) parts[i - 1] = (parts[i - 1] as string).replace(TRAILING_SPACE, '');
    }
    const out: Segment[] = [];
    for (const p of parts) {
      if (typeof p !== 'string') out.push({ id: p.id });
      else if (p !== '') out.push({ text: p });
    }
    return out;
  }
}
