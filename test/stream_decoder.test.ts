import { beforeAll, describe, expect, it } from 'vitest';
import { StreamDecoder } from '../tokenizer/stream_decoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { tokenizerFixture } from './tokenizer_fixture.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = (await tokenizerFixture()).slow;
});

function streamPieces(ids: readonly number[], skipSpecialTokens = true): string[] {
  const d = new StreamDecoder(tok, { skipSpecialTokens });
  return [...ids.map((id) => d.push(id)), d.flush()];
}

// Texts whose characters are split across tokens: 🫠 = 4 bytes in 3 tokens, 龘 = 3 bytes in 2, 쀍 = 1+1+1,
// the family emoji splits inside its ZWJ sequences.
// A leading U+FEFF is text, not a byte-order mark to drop (Python keeps it).
const SPLIT_TEXTS = ['\uFEFFbom', '🫠', '龘 鱻', '쀍', '👨‍👩‍👧 family', '我爱🧬和ꙮ!', 'mixed 🫠🫠 text 龘\n'];

describe('StreamDecoder', () => {
  it('never emits U+FFFD for characters split across tokens', () => {
    for (const text of SPLIT_TEXTS) {
      const ids = tok.encode(text);
      const pieces = streamPieces(ids);
      expect(pieces.join(''), text).toBe(tok.decode(ids, { skipSpecialTokens: true }));
      expect(pieces.join('')).toBe(text);
      for (const p of pieces) expect(p, text).not.toContain('\uFFFD');
    }
  });

  it('holds back partial bytes and emits the character with its last byte', () => {
    const ids = tok.encode('🫠');
    expect(ids).toHaveLength(3);
    expect(streamPieces(ids)).toEqual(['', '', '🫠', '']);
  });

  it('skips special tokens by default, keeps them when asked', () => {
    const ids = tok.encode('<|im_start|>assistant\n<ref>龘</ref><|im_end|>');
    expect(streamPieces(ids).join('')).toBe('assistant\n龘');
    expect(streamPieces(ids, false).join('')).toBe('<|im_start|>assistant\n<ref>龘</ref><|im_end|>');
  });

  it('concatenates to the full decode on long mixed text, token by token', () => {
    const text = '<img>\uFEFFHello 世界! 🫠🤖👍🏽 12345 résumé\r\n  code() { return 0; }\n'.repeat(20);
    const ids = tok.encode(text);
    for (const skip of [true, false]) expect(streamPieces(ids, skip).join('')).toBe(tok.decode(ids, { skipSpecialTokens: skip }));
  });

  it('emits U+FFFD only at flush for a truncated character, as the one-shot decode does', () => {
    const partial = tok.encode('🫠').slice(0, 2);
    const pieces = streamPieces(partial);
    expect(pieces.slice(0, -1).join('')).toBe('');
    expect(pieces.join('')).toBe(tok.decode(partial));
    expect(pieces.at(-1)).toBe('\uFFFD');
  });

  it('is reusable after flush, and an unflushed added token ends the byte run', () => {
    const d = new StreamDecoder(tok, { skipSpecialTokens: false });
    const [a, b] = tok.encode('龘');
    expect(d.push(a!)).toBe('');
    expect(d.push(151646)).toBe('\uFFFD<img>'); // as decode([a, <img>]) does: the run ends at the added token
    expect(d.push(b!)).toBe('\uFFFD');
    expect(d.flush()).toBe('');
    expect(tok.decode([a!, 151646, b!])).toBe('\uFFFD<img>\uFFFD');
  });
});
