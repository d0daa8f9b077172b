// GPT-2 byte-to-unicode table (bytes_to_unicode in HF transformers): byte-level BPE token strings spell
// each UTF-8 byte as one printable code point, so decoding maps code points back to bytes through it.

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

/** BYTE_TO_CHAR[b] is the single-character string standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE = new Map<number, number>(BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]));

/** Bytes of a byte-level token string; null when a character is outside the table (e.g. an added token). */
export function tokenToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token.charCodeAt(i));
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}

/** Byte-level spelling of a UTF-8 string (what a BPE token string looks like). */
export function textToByteLevel(text: string): string {
  let s = '';
  for (const b of new TextEncoder().encode(text)) s += BYTE_TO_CHAR[b];
  return s;
}
