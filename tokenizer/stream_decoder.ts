// Incremental decoding for streaming generation. Ids arrive one at a time; a character whose UTF-8
// bytes are split across tokens (common for emoji and CJK) is held back until its last byte arrives,
// never emitted as U+FFFD. The pieces concatenate to exactly QwenTokenizer.decode of all ids.
import type { DecodeOptions, QwenTokenizer } from './tokenizer.js';

export class StreamDecoder {
  // A streaming TextDecoder keeps an incomplete trailing sequence (≤ 3 bytes) until it completes,
  // and applies the same replacement rules as a one-shot decode, so pieces add up to the full decode.
  // ignoreBOM keeps a leading U+FEFF as text (the default would silently drop it).
  private utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    private readonly tokenizer: QwenTokenizer,
    private readonly opts: DecodeOptions = { skipSpecialTokens: true },
  ) {}

  /** Text that became complete with this id ("" while a character is still partial). */
  push(id: number): string {
    const piece = this.tokenizer.piece(id);
    if (piece.kind === 'bytes') return this.utf8.decode(piece.bytes, { stream: true });
    if (piece.special && this.opts.skipSpecialTokens) return '';
    // An added token ends the current byte run, as in the one-shot decode.
    return this.flush() + piece.text;
  }

  /** Emits whatever is held back (an incomplete sequence becomes U+FFFD) and resets the byte state. */
  flush(): string {
    return this.utf8.decode();
  }
}
