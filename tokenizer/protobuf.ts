// A minimal protobuf wire-format reader: enough to walk a SentencePiece ModelProto (varints, 32-bit floats,
// length-delimited strings and sub-messages; other fields are skipped by wire type). Errors name the file.

export const WIRE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

export class ProtoReader {
  private pos: number;
  private readonly view: DataView;
  private static readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  /** Reads bytes[start, end); `name` is the file name used in error messages. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly name: string,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new Error(`${this.name}: not a valid SentencePiece model (${what} at byte ${this.pos})`);
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) this.fail('field number 0');
    return { field, wire: key % 8 };
  }

  /** An unsigned varint up to 2^53 (enough for every field we read; bigger values only matter to skipped fields). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    this.fail('varint longer than 10 bytes');
  }

  /** A proto int32 (negative values are sign-extended to 10 bytes on the wire). */
  int32(): number {
    return this.varint() % 2 ** 32 | 0;
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const x = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return x;
  }

  /** The bytes of a length-delimited field. */
  bytesField(): Uint8Array {
    const length = this.varint();
    if (this.pos + length > this.end) this.fail(`length ${length} past the end of the message`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  string(): string {
    const bytes = this.bytesField();
    try {
      return ProtoReader.utf8.decode(bytes);
    } catch {
      this.fail('a string that is not UTF-8');
    }
  }

  /** A reader over the next length-delimited field (a sub-message). */
  message(): ProtoReader {
    const bytes = this.bytesField();
    return new ProtoReader(this.bytes, this.name, bytes.byteOffset - this.bytes.byteOffset, bytes.byteOffset - this.bytes.byteOffset + bytes.length);
  }

  /** Skips a field's value; groups (wire types 3, 4) are not used by ModelProto and are refused. */
  skip(wire: number): void {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.fixed64) this.advance(8);
    else if (wire === WIRE.lengthDelimited) this.bytesField();
    else if (wire === WIRE.fixed32) this.advance(4);
    else this.fail(`wire type ${wire}`);
  }

  /** Checks that a known field arrived with the wire type its declaration implies. */
  expect(wire: number, expected: number, field: string): void {
    if (wire !== expected) this.fail(`field ${field} with wire type ${wire}, expected ${expected}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated field');
    this.pos += n;
  }
}
