// SentencePiece BPE (tokenizer/sentencepiece_*.ts) against Debian's python3-sentencepiece, through
// tools/reference/sentencepiece_ref.py: (a) models trained by SentencePieceTrainer (BPE, byte fallback,
// user-defined symbols) with add_dummy_prefix and remove_extra_whitespaces on and off, one without byte
// fallback, and one with UNUSED pieces: ids, pieces and decoded text equal sp.encode / sp.decode; (b) the
// synthetic InternVL2-2B file set: python loads our tokenizer.model, and an independent emulation of
// InternLM2Tokenizer gives the same prompt ids as encodePrompt on chat prompts; (c) StreamDecoder pieces add up
// to decode; (d) errors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatPrompt, multiImagePrefix } from '../model/conversation.js';
import { readTokenizer } from '../model/load.js';
import { conversationTemplate } from '../model/templates.js';
import { PIECE_TYPE, parseSentencePieceModel, type SentencePieceModel } from '../tokenizer/sentencepiece_model.js';
import { SentencePieceTokenizer, loadSentencePieceTokenizer } from '../tokenizer/sentencepiece_tokenizer.js';
import { StreamDecoder } from '../tokenizer/stream_decoder.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/tokenizer.js';
import { SENTENCEPIECE_CORPUS } from '../tools/checkpoint/sentencepiece_corpus.js';
import { INTERNLM2_SP_PIECES, INTERNLM2_VOCAB_SIZE, internLM2TokenizerModel, writeInternLM2TokenizerFiles } from '../tools/checkpoint/sentencepiece_files.js';
import { serializeModelProto } from '../tools/checkpoint/sentencepiece_proto.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { loadTokenizerFromDir } from '../tools/node/load_tokenizer.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../tools/reference/sentencepiece_ref.py');
const root = join(import.meta.dirname, '..');

function haveSentencePiece(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import sentencepiece'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`sentencepiece tests skipped: ${PYTHON} cannot import sentencepiece (Debian: python3-sentencepiece)`);
    return false;
  }
}

interface EncodeAnswer { ids: number[][]; pieces: string[][]; decoded: string[]; decode: string[]; piece_size: number }
interface InternLM2Answer { input_ids: number[][]; decode: string[]; piece_size: number }
interface Answer { encode: EncodeAnswer[]; internlm2: InternLM2Answer[] }

let dir = '';
function reference(request: object): Answer {
  const file = join(dir, `request-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(request));
  return JSON.parse(execFileSync(PYTHON, [SCRIPT, file], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Answer;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_DEFINED = ['<ud>', '[X]', '<|im_end|>'];

// Fragments for random texts: trained words, spaces in every arrangement, tabs/newlines, CJK, emoji (ZWJ
// sequences, skin tones), characters absent from the training text (byte fallback), user-defined symbols,
// "▁" itself, byte-piece and control-piece spellings, U+FFFD, other scripts and combining marks.
const FRAGMENTS = [
  'the', 'The', ' image', 'Describe', ' tokenizer', 'model', 'InternVL', 'WebGPU', 'kernel', 'decode', 'hello', 'world',
  ' ', '  ', '   ', '\t', '\n', '\n\n', ' \n ', '\r\n', '\u00a0', '\u3000',
  '你好', '上海人工智能实验室', '模型', '图片', '，', '。', '“引号”', '龘', '𠀀', '鱻',
  '😀', '👍🏽', '👨‍👩‍👧', '🫠', '🤖', '❤️', '✨',
  'Привет', 'مرحبا', 'नमस्ते', 'สวัสดี', 'e\u0301', 'ﬁ', 'Ω', '①', '²', '\uFEFF', '\u200b',
  ...USER_DEFINED, '<u', 'd>', '[X', '<|im_', '▁', '▁▁', '<0x41>', '<s>', '</s>', '<unk>', '\uFFFD',
  '123', '4567', '3.14', 'x_1', '()', '{}', '=>', '&&', '//', '#', '@', '$',
  // Runs of one character: equal-score pairs, where only the leftmost-first rule decides.
  'lll', 'sssss', 'eee', 'ooo', 'tttt', 'www.', '1111', '...', '----', '====', '____', '哈哈哈',
];

function randomTexts(count: number, seed: number): string[] {
  const r = rng(seed);
  const texts = ['', ' ', '  ', '\n', 'a', ' a', 'a ', '  leading', 'trailing  ', ' both ', 'multiple   inner   spaces', '\tTab', ...FRAGMENTS];
  while (texts.length < count) {
    let t = '';
    const n = 1 + Math.floor(r() * 9);
    for (let k = 0; k < n; k++) t += FRAGMENTS[Math.floor(r() * FRAGMENTS.length)]!;
    texts.push(t);
  }
  return texts;
}

interface Config { name: string; addDummyPrefix: boolean; removeExtraWhitespaces: boolean; byteFallback: boolean }
const CONFIGS: Config[] = [
  { name: 'prefix, collapse', addDummyPrefix: true, removeExtraWhitespaces: true, byteFallback: true },
  { name: 'prefix, keep spaces', addDummyPrefix: true, removeExtraWhitespaces: false, byteFallback: true },
  { name: 'no prefix, collapse', addDummyPrefix: false, removeExtraWhitespaces: true, byteFallback: true },
  { name: 'no prefix, keep spaces', addDummyPrefix: false, removeExtraWhitespaces: false, byteFallback: true },
  { name: 'no byte fallback', addDummyPrefix: true, removeExtraWhitespaces: false, byteFallback: false },
];

const modelPath = (c: Config) => join(dir, `${c.name.replace(/[^a-z]+/g, '_')}.model`);

function sentencePiece(bytes: Uint8Array, name = 'test.model'): SentencePieceTokenizer {
  return new SentencePieceTokenizer(parseSentencePieceModel(bytes, name), { addBosToken: false });
}

/** Random ids over the whole vocabulary, byte pieces overrepresented so that characters split and break. */
function randomIds(model: SentencePieceModel, r: () => number, length: number, extra: readonly number[] = []): number[] {
  const bytes = model.pieces.flatMap((p, id) => (p.type === PIECE_TYPE.byte ? [id] : []));
  const ids: number[] = [];
  for (let k = 0; k < length; k++) {
    const x = r();
    if (x < 0.45 && bytes.length) ids.push(bytes[Math.floor(r() * bytes.length)]!);
    else if (x < 0.55 && extra.length) ids.push(extra[Math.floor(r() * extra.length)]!);
    else if (x < 0.6) ids.push(Math.floor(r() * 4)); // <unk> <s> </s> and the first user-defined symbol
    else ids.push(Math.floor(r() * model.pieces.length));
  }
  return ids;
}

/** A byte-fallback-heavy sequence: the UTF-8 of text as byte pieces, some bytes dropped or swapped. */
function mangledBytes(model: SentencePieceModel, text: string, r: () => number): number[] {
  const byteId = new Map(model.pieces.flatMap((p, id) => (p.type === PIECE_TYPE.byte ? [[parseInt(p.piece.slice(3, 5), 16), id] as const] : [])));
  const out: number[] = [];
  for (const b of new TextEncoder().encode(text)) {
    const x = r();
    if (x < 0.08) continue;
    out.push(byteId.get(x < 0.14 ? Math.floor(r() * 256) : b)!);
  }
  return out;
}

function streamPieces(tok: Tokenizer, ids: readonly number[], skipSpecialTokens: boolean): string[] {
  const d = new StreamDecoder(tok, { skipSpecialTokens });
  return [...ids.map((id) => d.push(id)), d.flush()];
}

describe.skipIf(!haveSentencePiece())('SentencePiece BPE against python sentencepiece', () => {
  const texts = randomTexts(320, 7);
  let trained: Answer;
  const tokenizers = new Map<string, SentencePieceTokenizer>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sentencepiece-'));
    // A corpus of this repository's docs plus the mixed-language synthetic corpus (which also names the user-defined symbols).
    const corpus = [readFileSync(join(root, 'README.md'), 'utf8'), readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8'), SENTENCEPIECE_CORPUS, USER_DEFINED.join(' ')].join('\n');
    writeFileSync(join(dir, 'corpus.txt'), corpus);
    trained = reference({
      train: CONFIGS.map((c) => ({
        model: modelPath(c), corpus: join(dir, 'corpus.txt'), vocab_size: 1500, add_dummy_prefix: c.addDummyPrefix,
        remove_extra_whitespaces: c.removeExtraWhitespaces, byte_fallback: c.byteFallback, user_defined_symbols: USER_DEFINED,
      })),
      encode: CONFIGS.map((c) => ({ model: modelPath(c), texts })),
    });
    for (const c of CONFIGS) tokenizers.set(c.name, sentencePiece(new Uint8Array(readFileSync(modelPath(c))), modelPath(c)));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the trained models: pieces, types and specs', () => {
    CONFIGS.forEach((c, i) => {
      const { model } = tokenizers.get(c.name)!;
      expect(model.pieces.length, c.name).toBe(trained.encode[i]!.piece_size);
      expect(model.pieces.slice(0, 3).map((p) => [p.piece, p.type])).toEqual([['<unk>', PIECE_TYPE.unknown], ['<s>', PIECE_TYPE.control], ['</s>', PIECE_TYPE.control]]);
      expect(model.pieces.slice(3, 6).map((p) => [p.piece, p.type])).toEqual(USER_DEFINED.map((u) => [u, PIECE_TYPE.userDefined]));
      expect(model.pieces.filter((p) => p.type === PIECE_TYPE.byte).length).toBe(c.byteFallback ? 256 : 0);
      expect(model.normalizerSpec).toMatchObject({ name: 'identity', addDummyPrefix: c.addDummyPrefix, removeExtraWhitespaces: c.removeExtraWhitespaces, escapeWhitespaces: true });
      expect(model.trainerSpec.byteFallback).toBe(c.byteFallback);
    });
  });

  for (const [i, c] of CONFIGS.entries()) {
    it(`encodes ${texts.length} texts as sp.encode does (${c.name})`, () => {
      const tok = tokenizers.get(c.name)!;
      const ref = trained.encode[i]!;
      let mismatches = 0;
      texts.forEach((text, k) => {
        const ids = tok.encodeModel(text);
        if (JSON.stringify(ids) !== JSON.stringify(ref.ids[k])) mismatches++;
        expect(ids, JSON.stringify(text)).toEqual(ref.ids[k]);
        // Through the Tokenizer interface (no added tokens, no BOS here) and by piece, as out_type=str.
        expect(tok.encode(text)).toEqual(ref.ids[k]);
        expect(tok.decode(ids), JSON.stringify(text)).toBe(ref.decoded[k]);
      });
      expect(mismatches).toBe(0);
    });
  }

  it('decodes random id sequences as sp.decode does (byte pieces, control pieces, <unk>, broken UTF-8)', () => {
    const r = rng(11);
    const sequences = CONFIGS.map((c) => {
      const { model } = tokenizers.get(c.name)!;
      const seqs: number[][] = [];
      for (let k = 0; k < 60; k++) seqs.push(randomIds(model, r, 1 + Math.floor(r() * 24)));
      if (c.byteFallback) for (const t of texts.slice(0, 60)) seqs.push(mangledBytes(model, t, r));
      return seqs;
    });
    const answer = reference({ encode: CONFIGS.map((c, i) => ({ model: modelPath(c), decode: sequences[i] })) });
    CONFIGS.forEach((c, i) => {
      const tok = tokenizers.get(c.name)!;
      sequences[i]!.forEach((ids, k) => expect(tok.decode(ids), `${c.name}: ${JSON.stringify(ids)}`).toBe(answer.encode[i]!.decode[k]));
    });
  });

  it('splits UNUSED pieces back as SentencePiece does (a trained model rewritten by our proto writer)', () => {
    const base = tokenizers.get('prefix, keep spaces')!.model;
    // Every third multi-character ordinary piece becomes UNUSED.
    let n = 0;
    const pieces = base.pieces.map((p) => (p.type === PIECE_TYPE.normal && [...p.piece].length > 1 && n++ % 3 === 0 ? { ...p, type: PIECE_TYPE.unused } : p));
    const path = join(dir, 'unused.model');
    writeFileSync(path, serializeModelProto({ pieces, byteFallback: true, addDummyPrefix: true, removeExtraWhitespaces: false }));
    const answer = reference({ encode: [{ model: path, texts }] }).encode[0]!;
    const tok = sentencePiece(new Uint8Array(readFileSync(path)));
    expect(tok.model.pieces.filter((p) => p.type === PIECE_TYPE.unused).length).toBe(n > 0 ? Math.ceil(n / 3) : 0);
    texts.forEach((text, k) => expect(tok.encodeModel(text), JSON.stringify(text)).toEqual(answer.ids[k]));
  });

  it('StreamDecoder pieces concatenate to decode; split characters are held back, not replaced', () => {
    const r = rng(5);
    for (const c of CONFIGS) {
      const tok = tokenizers.get(c.name)!;
      for (let k = 0; k < 150; k++) {
        const ids = randomIds(tok.model, r, 1 + Math.floor(r() * 30));
        for (const skip of [true, false]) expect(streamPieces(tok, ids, skip).join('')).toBe(tok.decode(ids, { skipSpecialTokens: skip }));
      }
      for (const text of ['🫠', '龘 鱻', '👨‍👩‍👧 family', '你好𠀀', 'नमस्ते 🤖']) {
        const ids = tok.encodeModel(text);
        const pieces = streamPieces(tok, ids, true);
        expect(pieces.join('')).toBe(tok.decode(ids));
        if (c.byteFallback) for (const p of pieces) expect(p, text).not.toContain('\uFFFD');
      }
    }
    // A truncated character: nothing until flush, then one U+FFFD per byte (SentencePiece's rule).
    const tok = tokenizers.get('prefix, collapse')!;
    const ids = tok.encodeModel('🫠').filter((id) => tok.model.pieces[id]!.type === PIECE_TYPE.byte).slice(0, 3);
    expect(streamPieces(tok, ids, true)).toEqual(['', '', '', '\uFFFD\uFFFD\uFFFD']);
    expect(tok.decode(ids)).toBe('\uFFFD\uFFFD\uFFFD');
  });

  it('a lone surrogate encodes as U+FFFD does', () => {
    const tok = tokenizers.get('prefix, collapse')!;
    expect(tok.encodeModel('a\uD800b')).toEqual(tok.encodeModel('a\uFFFDb'));
  });
});

describe.skipIf(!haveSentencePiece())('InternVL2-2B tokenizer files (synthetic) against an InternLM2Tokenizer emulation', () => {
  const template = conversationTemplate('internlm2-chat');
  const prompts = [
    '<|im_start|>system\n你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。<|im_end|><|im_start|>user\n<img><IMG_CONTEXT><IMG_CONTEXT></img>\nDescribe the image.<|im_end|><|im_start|>assistant\n',
    chatPrompt({ template, question: 'Hello, who are you?' }).prompt,
    chatPrompt({ template, question: 'Please describe the image shortly.', numPatchesList: [2], numImageToken: 4 }).prompt,
    chatPrompt({ template, question: multiImagePrefix(2) + 'What are the similarities and differences between these two images?', numPatchesList: [1, 3], numImageToken: 4 }).prompt,
    chatPrompt({ template, question: 'Can you tell me a story?', history: [['<image>\nWhat is this?', 'A red panda 🐼 eating bamboo.'], ['And the colours?', '红色和白色。\n\n  Mostly red.']] }).prompt,
    chatPrompt({ template, question: '  spaces   and\ttabs\n\n  and <ref>refs</ref><box>[[1, 2, 3, 4]]</box> ', systemMessage: 'Answer in English.' }).prompt,
    chatPrompt({ template, question: 'Frame1: <image>\nFrame2: <image>\nWhat happens in the video? 视频里发生了什么？', numPatchesList: [1, 1], numImageToken: 2 }).prompt,
    '<s>literal <s> and </s> and <unk> and <|plugin|><|interpreter|><|action_start|><|action_end|><quad></quad>',
    '',
    'no special tokens at all: 龘 😀 ',
  ];
  let dirs: { prefix: boolean; dir: string }[] = [];
  let answers: InternLM2Answer[] = [];
  let decodeSets: number[][][] = [];
  const toks = new Map<boolean, Tokenizer>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sentencepiece-internlm2-'));
    dirs = [false, true].map((prefix) => ({ prefix, dir: join(dir, prefix ? 'internlm2-prefix' : 'internlm2') }));
    for (const d of dirs) {
      await writeInternLM2TokenizerFiles(d.dir, { addDummyPrefix: d.prefix });
      toks.set(d.prefix, await loadTokenizerFromDir(d.dir));
    }
    const r = rng(3);
    const decodeIds = [...toks.values()].map((tok) => prompts.map((p) => tok.encodePrompt(p)).concat(Array.from({ length: 40 }, () => {
      const ids: number[] = [];
      for (let k = 0; k < 20; k++) ids.push(r() < 0.5 ? 3 + Math.floor(r() * 256) : r() < 0.3 ? 92530 + Math.floor(r() * 23) : Math.floor(r() * 1200));
      return ids;
    })));
    answers = reference({ internlm2: dirs.map((d, i) => ({ dir: d.dir, prompts, decode: decodeIds[i] })) }).internlm2;
    decodeSets = decodeIds;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('python sentencepiece loads our tokenizer.model (92544 pieces); the vocabulary is 92553', () => {
    for (const a of answers) expect(a.piece_size).toBe(INTERNLM2_SP_PIECES);
    for (const tok of toks.values()) {
      expect(tok.vocabSize).toBe(INTERNLM2_VOCAB_SIZE);
      expect(['<unk>', '<s>', '</s>', '<|im_end|>', '<|im_start|>', '<img>', '</img>', '<IMG_CONTEXT>', '</box>'].map((t) => tok.tokenToId(t))).toEqual([0, 1, 2, 92542, 92543, 92544, 92545, 92546, 92552]);
      expect(tok.idToToken(92546)).toBe('<IMG_CONTEXT>');
      expect(tok.isSpecial(92546) && tok.isSpecial(1) && !tok.isSpecial(300)).toBe(true);
      expect(tok.tokenToId('no such piece')).toBeUndefined();
    }
  });

  it('encodePrompt equals the emulated tokenizer(prompt).input_ids (BOS first), with and without add_dummy_prefix', () => {
    dirs.forEach((d, i) => {
      const tok = toks.get(d.prefix)!;
      prompts.forEach((p, k) => {
        const ids = tok.encodePrompt(p);
        expect(ids, `${d.prefix} ${JSON.stringify(p)}`).toEqual(answers[i]!.input_ids[k]);
        expect(ids[0]).toBe(1);
        expect(tok.encode(p)).toEqual(ids.slice(1));
      });
    });
    // The prompt exercises merges, byte fallback (the newline) and atomic added tokens.
    const ids = toks.get(false)!.encodePrompt(prompts[0]!);
    expect(ids.slice(0, 2)).toEqual([1, 92543]);
    expect(ids).toContain(3 + 0x0a);
    expect(ids.filter((id) => id === 92546)).toHaveLength(2);
  });

  it('decode(skipSpecialTokens) equals the emulation; StreamDecoder pieces add up to it', () => {
    dirs.forEach((d, i) => {
      const tok = toks.get(d.prefix)!;
      decodeSets[i]!.forEach((ids, k) => {
        expect(tok.decode(ids, { skipSpecialTokens: true }), JSON.stringify(ids)).toBe(answers[i]!.decode[k]);
        for (const skip of [true, false]) expect(streamPieces(tok, ids, skip).join('')).toBe(tok.decode(ids, { skipSpecialTokens: skip }));
      });
      // Round trip of the prompts without BOS: the text back, added tokens included.
      for (const p of prompts) expect(tok.decode(tok.encode(p), { skipSpecialTokens: false })).toBe(p);
    });
  });

  it('the same bytes on every run; the loaders pick tokenizer.model', async () => {
    expect(Buffer.from(internLM2TokenizerModel()).equals(readFileSync(join(dirs[0]!.dir, 'tokenizer.model')))).toBe(true);
    const tok = await readTokenizer(dirFiles(dirs[0]!.dir));
    expect(tok).toBeInstanceOf(SentencePieceTokenizer);
    expect(tok.encodePrompt(prompts[0]!)).toEqual(answers[0]!.input_ids[0]);
    const config = JSON.parse(readFileSync(join(dirs[0]!.dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ add_bos_token: true, add_eos_token: false, tokenizer_class: 'InternLM2Tokenizer', bos_token: '<s>', eos_token: '</s>', pad_token: '</s>', unk_token: '<unk>' });
  });
});

describe('SentencePiece errors', () => {
  const good = internLM2TokenizerModel();

  it('truncated or garbage tokenizer.model: a clear error naming the file', () => {
    for (const cut of [1, 7, 1000, good.length >> 1, good.length - 3]) {
      expect(() => loadSentencePieceTokenizer(good.slice(0, cut), undefined, {}, '/models/x/tokenizer.model')).toThrow(/^\/models\/x\/tokenizer\.model: .*(not a valid|not a complete|truncated|past the end)/);
    }
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    expect(() => loadSentencePieceTokenizer(garbage, undefined, {}, 'garbage.model')).toThrow(/^garbage\.model: /);
    expect(() => loadSentencePieceTokenizer(new TextEncoder().encode('{"model": {}}'), undefined, {}, 'json.model')).toThrow(/^json\.model: not a valid SentencePiece model/);
    expect(() => loadSentencePieceTokenizer(new Uint8Array(0), undefined, {}, 'empty.model')).toThrow(/^empty\.model: not a SentencePiece model \(no pieces\)/);
  });

  it('refuses what it does not implement: a charsmap normalizer, other model types, other tokenizer classes', () => {
    const pieces = [{ piece: '<unk>', score: 0, type: PIECE_TYPE.unknown }, { piece: 'a', score: 0, type: PIECE_TYPE.normal }];
    const base = { pieces, byteFallback: false, addDummyPrefix: false, removeExtraWhitespaces: true };
    expect(() => parseSentencePieceModel(serializeModelProto({ ...base, normalizerName: 'nmt_nfkc', precompiledCharsmap: new Uint8Array(64).fill(1) }), 'n.model')).toThrow(/^n\.model: normalizer "nmt_nfkc" .* not supported/);
    expect(() => parseSentencePieceModel(serializeModelProto({ ...base, modelType: 1 }), 'u.model')).toThrow(/^u\.model: model_type UNIGRAM is not supported \(only BPE\)/);
    expect(() => parseSentencePieceModel(serializeModelProto({ ...base, byteFallback: true }), 'b.model')).toThrow(/byte_fallback is true but there are 0 byte pieces/);
    expect(() => parseSentencePieceModel(serializeModelProto({ ...base, pieces: pieces.slice(1) }), 'k.model')).toThrow(/^k\.model: no <unk> piece/);
    expect(() => loadSentencePieceTokenizer(good, { tokenizer_class: 'T5Tokenizer' })).toThrow(/tokenizer_class "T5Tokenizer" is not supported with tokenizer\.model \(supported: InternLM2Tokenizer, LlamaTokenizer\)/);
    // A model without <s> cannot add BOS.
    expect(() => loadSentencePieceTokenizer(serializeModelProto(base), {})).toThrow(/add_bos_token is true but the model has no control piece "<s>"/);
    expect(loadSentencePieceTokenizer(serializeModelProto(base), { add_bos_token: false }).encodePrompt('a')).toEqual([1]);
  });

  it('missing files: readTokenizer and loadTokenizer name every accepted set', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sentencepiece-none-'));
    try {
      await expect(readTokenizer(dirFiles(empty))).rejects.toThrow(/no tokenizer: expected tokenizer\.json, vocab\.json \+ merges\.txt \(\+ added_tokens\.json\), or tokenizer\.model/);
      expect(() => loadTokenizer({})).toThrow(/need tokenizer\.json, vocab\.json and merges\.txt, or tokenizer\.model/);
      writeFileSync(join(empty, 'tokenizer.model'), good.slice(0, 100));
      await expect(readTokenizer(dirFiles(empty))).rejects.toThrow(new RegExp(`^${empty}: tokenizer\\.model: `));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
