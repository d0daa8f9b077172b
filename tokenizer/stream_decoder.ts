// Incremental decoding for streaming generation. Ids arrive one at a time; a character whose UTF-8
// bytes are split across tokens (common for emoji and CJK) is held back until its last byte arrives,
// never emitted as U+FFFD. The pieces concatenate to exactly the tokenizer's decode of all ids: StreamDecoder
// runs the tokenizer's own incremental decoder (ByteLevelDecoder for Qwen2, SentencePieceDecoder for
// InternLM2's SentencePiece, llama_tokenizer.ts's for LlamaTokenizer), and each tokenizer's one-shot decode
// follows the same rules.
import type { DecodeOptions, IncrementalDecoder, TokenPiece, Tokenizer } from './tokenizer.js';

export class StreamDecoder implements IncrementalDecoder {
  private readonly inner: IncrementalDecoder;

  constructor(tokenizer: Tokenizer, opts: DecodeOptions = { skipSpecialTokens: true }) {
    this.inner = tokenizer.decoder(opts);
  }

  /** Text that became complete with this id ("" while a character is still partial). */
  push(id: number): string {
    return this.inner.push(id);
  }

  /** Emits whatever is held back (an incomplete sequence becomes U+FFFD) and resets the state. */
  flush(): string {
    return this.inner.flush();
  }
}

/** Byte-level BPE (Qwen2): every id is bytes or an added token; byte runs are UTF-8 with WHATWG replacement. */
export class ByteLevelDecoder implements IncrementalDecoder {
  // A streaming TextDecoder keeps an incomplete trailing sequence (≤ 3 bytes) until it completes,
  // and applies the same replacement rules as a one-shot decode, so pieces add up to the full decode.
  // ignoreBOM keeps a leading U+FEFF as text (the default would silently drop it).
  private utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    private readonly tokenizer: { piece(id: number): TokenPiece },
    private readonly opts: DecodeOptions = {},
  ) {}

  push(id: number): string {
    const piece = this.tokenizer.piece(id);
    if (piece.kind === 'bytes') return this.utf8.decode(piece.bytes, { stream: true });
    if (piece.special && this.opts.skipSpecialTokens) return '';
    // An added token ends the current byte run, as in the one-shot decode.
    return this.flush() + piece.text;
  }

  flush(): string {
    return this.utf8.decode();
  }
}
