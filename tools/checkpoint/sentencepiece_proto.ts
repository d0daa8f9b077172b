// Writes a SentencePiece ModelProto (sentencepiece_model.proto) with a small protobuf writer: the pieces,
// and the trainer_spec/normalizer_spec fields the encoder and decoder read (tokenizer/sentencepiece_model.ts).

const utf8 = new TextEncoder();

class ProtoWriter {
  private buf: Uint8Array;
  private length = 0;

  constructor(initialSize = 64) {
    this.buf = new Uint8Array(initialSize);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** A varint of a non-negative safe integer, or an int32 below zero as its 10-byte two's complement. */
  varint(n: number): void {
    if (n < 0) {
      // int32 -1 … -2^31: 64-bit two's complement, 10 bytes.
      let big = BigInt.asUintN(64, BigInt(n));
      this.reserve(10);
      for (let i = 0; i < 10; i++) {
        const b = Number(big & 0x7fn);
        big >>= 7n;
        this.buf[this.length++] = big === 0n ? b : b | 0x80;
        if (big === 0n) return;
      }
      return;
    }
    this.reserve(8);
    do {
      const b = n % 128;
      n = Math.floor(n / 128);
      this.buf[this.length++] = n === 0 ? b : b | 0x80;
    } while (n > 0);
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, n: number): void {
    this.tag(field, 0);
    this.varint(n);
  }

  bool(field: number, b: boolean): void {
    this.int(field, b ? 1 : 0);
  }

  float(field: number, x: number): void {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.length, x, true);
    this.length += 4;
  }

  bytes(field: number, bytes: Uint8Array): void {
    this.tag(field, 2);
    this.varint(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, utf8.encode(s));
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface PieceSpec {
  readonly piece: string;
  readonly score: number;
  /** ModelProto.SentencePiece.Type (tokenizer/sentencepiece_model.ts PIECE_TYPE); NORMAL (1) is not written. */
  readonly type: number;
}

export interface ModelProtoSpec {
  readonly pieces: readonly PieceSpec[];
  readonly byteFallback: boolean;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  /** Normalizer name (written; the encoder only looks at the charsmap, which we never write). */
  readonly normalizerName?: string;
  /** TrainerSpec.ModelType; 2 = BPE. */
  readonly modelType?: number;
  /** Written as a non-empty precompiled_charsmap, for error tests only. */
  readonly precompiledCharsmap?: Uint8Array;
}

/** The serialized ModelProto. */
export function serializeModelProto(spec: ModelProtoSpec): Uint8Array {
  const w = new ProtoWriter(spec.pieces.length * 24);
  for (const p of spec.pieces) {
    w.message(1, (m) => {
      m.string(1, p.piece);
      m.float(2, p.score);
      if (p.type !== 1) m.int(3, p.type);
    });
  }
  w.message(2, (t) => {
    t.int(3, spec.modelType ?? 2);
    t.int(4, spec.pieces.length);
    t.bool(35, spec.byteFallback);
    t.int(40, 0); // unk_id
    t.int(41, 1); // bos_id
    t.int(42, 2); // eos_id
    t.int(43, -1); // pad_id: none
  });
  w.message(3, (n) => {
    n.string(1, spec.normalizerName ?? 'identity');
    if (spec.precompiledCharsmap) n.bytes(2, spec.precompiledCharsmap);
    n.bool(3, spec.addDummyPrefix);
    n.bool(4, spec.removeExtraWhitespaces);
    n.bool(5, true); // escape_whitespaces
  });
  return w.finish();
}
