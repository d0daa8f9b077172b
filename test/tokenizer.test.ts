import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { textToByteLevel } from '../tokenizer/byte_level.js';
import { ADDED_TOKENS, BPE_VOCAB_SIZE } from '../tokenizer/special_tokens.js';
import { loadTokenizer } from '../tokenizer/tokenizer.js';
import { mergesAsStrings, parseMergesTxt } from '../tokenizer/tokenizer_json.js';
import { readTokenizerFiles } from '../tools/node/load_tokenizer.js';
import { writeTokenizerFiles } from '../tools/tokenizer_files.js';
import { tokenizerFixture, type Fixture } from './tokenizer_fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await tokenizerFixture();
});

// An independent slow-tokenizer reference (SPEC §8 steps 1–6), written without the library, to check the
// library's translation of the Oniguruma regex and its BPE. `(?i:…)` is spelled out for JS.
const PRETOKENIZE =
  /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;
const ADDED_SPLIT = new RegExp(
  [...ADDED_TOKENS].sort((a, b) => b.content.length - a.content.length)
    .map((t) => t.content.replace(/[|<>/]/g, '\\$&')).join('|'),
  'g',
);

function makeReference(vocab: Record<string, number>, merges: string[]) {
  const ranks = new Map(merges.map((m, i) => [m, i]));
  const cache = new Map<string, number[]>();
  const bpe = (word: string): number[] => {
    const hit = cache.get(word);
    if (hit) return hit;
    let parts = Array.from(word);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = ranks.get(parts[i] + ' ' + parts[i + 1]);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      const [a, b] = [parts[best]!, parts[best + 1]!];
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) next.push(a + b), i++;
        else next.push(parts[i]!);
      }
      parts = next;
    }
    const ids = parts.map((p) => vocab[p]!);
    cache.set(word, ids);
    return ids;
  };
  const byContent = new Map(ADDED_TOKENS.map((t) => [t.content, t.id]));
  return (text: string): number[] => {
    const ids: number[] = [];
    let last = 0;
    const spans: string[] = [];
    for (const m of text.matchAll(ADDED_SPLIT)) spans.push(text.slice(last, m.index), m[0]), (last = m.index + m[0].length);
    spans.push(text.slice(last));
    for (const span of spans) {
      const special = byContent.get(span);
      if (special !== undefined) ids.push(special);
      else for (const piece of span.normalize('NFC').match(PRETOKENIZE) ?? []) ids.push(...bpe(textToByteLevel(piece)));
    }
    return ids;
  };
}

// Seeded generator of varied text: every fragment kind the pre-tokenizer treats differently.
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const FRAGMENTS = [
  'Hello', ' world', 'the', ' The', 'QUICK', ' brown', 'fox', "I'm", " don't", " WE'LL", "it'S", " they've", "'d",
  ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \r\n', '\u3000', '\u00a0', ' \n ',
  '0', '7', '2024', '3.14159', '1,000,000', '١٢٣', '½', '²', 'Ⅻ',
  '你好', '世界', '人工智能', '書生', 'こんにちは', 'カタカナ', '안녕하세요', 'Привет', 'مرحبا', 'नमस्ते', 'ไทย',
  '😀', '🎉', '👍🏽', '👨‍👩‍👧', '🇨🇳', '🤖', '❤️', '𝕏', '𠮷',
  'e\u0301', 'A\u030A', 'n\u0303o', 'ﬁ', 'Å',
  'function f(x) {\n  return x*2;\n}\n', 'const a = [1, 2];', '#include <stdio.h>', '    if (a != b) {', '=>', '!==', '...', '?!', '"quoted"', '(paren)', '$100', '@user', 'a_b-c', '__init__',
  '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<img>', '</img>', '<IMG_CONTEXT>', '<ref>', '</box>', '<quad>',
  '<|im_', '<im', '<image>', '<IMG', 'img>', '< img>', '<|IM_START|>',
];
function randomText(rand: () => number, fragments: number): string {
  let s = '';
  for (let i = 0; i < fragments; i++) {
    const r = rand();
    if (r < 0.8) s += FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)];
    else if (r < 0.9) s += String.fromCodePoint(0x4e00 + Math.floor(rand() * 0x5200)); // CJK ideographs
    else if (r < 0.95) s += String.fromCodePoint(0x1f300 + Math.floor(rand() * 0x300)); // emoji blocks
    else s += String.fromCodePoint(0x20 + Math.floor(rand() * 0x250)); // ASCII … Latin Extended
  }
  return s;
}
function corpus(): string[] {
  const rand = mulberry32(1234);
  const fixed = [...FRAGMENTS, '', 'a', '12345', 'x  y', 'x \n y', 'end  ', '  start', '\n\n\n', 'Hello, world!\r\n'];
  const random = Array.from({ length: 400 }, () => randomText(rand, 1 + Math.floor(rand() * 40)));
  return [...fixed, ...random];
}

describe('tokenizer: SPEC anchors', () => {
  it('encodes the chat role headers (SPEC §8)', () => {
    for (const tok of [fx.slow, fx.fast]) {
      expect(tok.encode('<|im_start|>user\n')).toEqual([151644, 872, 198]);
      expect(tok.encode('<|im_start|>assistant\n')).toEqual([151644, 77091, 198]);
      expect(tok.encode('<|im_start|>system\n')).toEqual([151644, 8948, 198]);
    }
  });

  it('maps the 12 added tokens to their ids, atomically, with no BOS/EOS', () => {
    for (const t of ADDED_TOKENS) {
      expect(fx.slow.encode(t.content)).toEqual([t.id]);
      expect(fx.slow.tokenToId(t.content)).toBe(t.id);
      expect(fx.slow.idToToken(t.id)).toBe(t.content);
      expect(fx.slow.isSpecial(t.id)).toBe(true);
    }
    expect(fx.slow.encode('')).toEqual([]);
    expect(fx.slow.encode(' <img>x')).toEqual([220, 151646, 87]); // whitespace around added tokens stays text
    expect(fx.slow.vocabSize).toBe(151655);
    expect(fx.fast.vocabSize).toBe(151655);
  });

  it('splits numbers into single digits', () => {
    const ids = fx.slow.encode('12345');
    expect(ids).toHaveLength(5);
    expect(ids).toEqual([...'12345'].map((d) => fx.slow.tokenToId(d)));
  });
});

describe('tokenizer: slow files vs tokenizer.json vs independent reference', () => {
  it('gives identical ids on a varied corpus', async () => {
    const vocab = JSON.parse(await readFile(join(fx.dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const merges = parseMergesTxt(await readFile(join(fx.dir, 'merges.txt'), 'utf8'));
    const reference = makeReference(vocab, merges);
    let tokens = 0;
    for (const text of corpus()) {
      const slow = fx.slow.encode(text);
      expect(fx.fast.encode(text), JSON.stringify(text)).toEqual(slow);
      expect(reference(text), JSON.stringify(text)).toEqual(slow);
      tokens += slow.length;
    }
    expect(tokens).toBeGreaterThan(10_000);
  });

  it('decodes back to the NFC text, and skips special tokens on request', () => {
    for (const text of corpus()) {
      const ids = fx.slow.encode(text);
      expect(fx.slow.decode(ids), JSON.stringify(text)).toBe(text.normalize('NFC'));
    }
    const ids = fx.slow.encode('<|im_start|>assistant\n<ref>猫</ref><box>[[1, 2]]</box><|im_end|>');
    expect(fx.slow.decode(ids, { skipSpecialTokens: true })).toBe('assistant\n猫[[1, 2]]');
    for (const bom of ['\uFEFFx', '<img>\uFEFF\uFEFF']) expect(fx.slow.decode(fx.slow.encode(bom))).toBe(bom);
    expect(fx.slow.decode([])).toBe('');
    expect(fx.slow.decode([], { skipSpecialTokens: true })).toBe('');
  });

  it('replaces invalid UTF-8 with U+FFFD like errors="replace"', () => {
    const emoji = fx.slow.encode('🫠'); // 4 UTF-8 bytes in 3 tokens (2 + 1 + 1)
    expect(emoji.length).toBeGreaterThan(1); // the test needs an emoji split over tokens
    expect(fx.slow.decode(emoji.slice(0, 1))).toBe('\uFFFD');
    // An added token ends a byte run: the dangling bytes before it decode on their own.
    expect(fx.slow.decode([...emoji.slice(0, 1), 151646, ...emoji.slice(1)])).toMatch(/^\uFFFD<img>\uFFFD+$/);
  });

  it('loads tokenizer.json when a directory has one (writeTokenizerFiles withTokenizerJson)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'internvl-tokjson-'));
    await writeTokenizerFiles(dir, { withTokenizerJson: true });
    const files = await readTokenizerFiles(dir);
    await rm(dir, { recursive: true });
    expect(files.tokenizerJson).toBeDefined();
    const tok = loadTokenizer(files);
    for (const text of corpus().slice(0, 150)) expect(tok.encode(text)).toEqual(fx.slow.encode(text));
  });

  it('rejects missing files and unknown ids', () => {
    expect(() => loadTokenizer({})).toThrow(/tokenizer.json/);
    expect(() => fx.slow.decode([151655])).toThrow(/151655/);
  });
});

describe('tokenizer files (tools/tokenizer_files.ts)', () => {
  it('writes added_tokens.json as the 265-byte HF serialization of SPEC §8', async () => {
    const bytes = await readFile(join(fx.dir, 'added_tokens.json'));
    expect(bytes.length).toBe(265);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(Object.fromEntries(ADDED_TOKENS.map((t) => [t.content, t.id])));
  });

  it('writes vocab.json with ids 0..151642 and merges.txt with the version header', async () => {
    const vocab = JSON.parse(await readFile(join(fx.dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids).toHaveLength(BPE_VOCAB_SIZE);
    expect(ids.every((id, i) => id === i)).toBe(true);
    const mergesTxt = await readFile(join(fx.dir, 'merges.txt'), 'utf8');
    expect(mergesTxt.startsWith('#version: 0.2\n')).toBe(true);
    expect(parseMergesTxt(mergesTxt)).toEqual(mergesAsStrings(fx.lenmlJson.model.merges));
  });

  it('writes tokenizer_config.json and special_tokens_map.json for Qwen2Tokenizer', async () => {
    const config = JSON.parse(await readFile(join(fx.dir, 'tokenizer_config.json'), 'utf8'));
    expect(config.tokenizer_class).toBe('Qwen2Tokenizer');
    expect(config.eos_token).toBe('<|im_end|>');
    expect(config.pad_token).toBe('<|endoftext|>');
    expect(config.bos_token).toBeNull();
    expect(config.chat_template).toBeUndefined();
    expect(Object.keys(config.added_tokens_decoder)).toEqual(ADDED_TOKENS.map((t) => String(t.id)));
    const map = await readFile(join(fx.dir, 'special_tokens_map.json'), 'utf8');
    expect(map.trimEnd().split('\n')).toHaveLength(29);
  });
});
