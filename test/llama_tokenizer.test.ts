// LlamaTokenizer (tokenizer/llama_tokenizer.ts) against an independent Python emulation of transformers' slow
// LlamaTokenizer over python3-sentencepiece (tools/reference/sentencepiece_ref.py, LlamaEmulation): prompt ids
// (encodePrompt = tokenizer(prompt).input_ids), tokens, and decode with skip_special_tokens true and false, on
// (a) the synthetic InternVL2-4B file set (tools/checkpoint/sentencepiece_phi3_files.ts) in several
// tokenizer_config variants (legacy false / absent, add_prefix_space false, Phi-3's chat tokens in
// additional_special_tokens, lstrip instead of rstrip, EOS added), and (b) a Llama-like model trained by
// SentencePieceTrainer; StreamDecoder pieces add up to decode; refusals.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatPrompt, multiImagePrefix } from '../model/conversation.js';
import { conversationTemplate } from '../model/templates.js';
import { LlamaTokenizer } from '../tokenizer/llama_tokenizer.js';
import { parseSentencePieceModel, PIECE_TYPE } from '../tokenizer/sentencepiece_model.js';
import { loadSentencePieceTokenizer } from '../tokenizer/sentencepiece_tokenizer.js';
import { StreamDecoder } from '../tokenizer/stream_decoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { SENTENCEPIECE_CORPUS } from '../tools/checkpoint/sentencepiece_corpus.js';
import { INTERNVL_ADDED_TOKENS } from '../tools/checkpoint/sentencepiece_files.js';
import {
  PHI3_ADDED_TOKENS,
  PHI3_SP_PIECES,
  PHI3_VOCAB_SIZE,
  type Phi3TokenizerOptions,
  phi3TokenizerConfig,
  phi3TokenizerModel,
  writePhi3TokenizerFiles,
  writePhi3TokenizerJsonFiles,
} from '../tools/checkpoint/sentencepiece_phi3_files.js';
import { loadTokenizerFromDir } from '../tools/node/load_tokenizer.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../tools/reference/sentencepiece_ref.py');
const root = join(import.meta.dirname, '..');

function haveSentencePiece(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import sentencepiece'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`LlamaTokenizer tests skipped: ${PYTHON} cannot import sentencepiece (Debian: python3-sentencepiece)`);
    return false;
  }
}

interface LlamaAnswer { input_ids: number[][]; tokens: string[][]; decode: string[]; decode_keep: string[]; piece_size: number; all_special_tokens: string[] }
interface Answer { llama: LlamaAnswer[] }

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

const PHI3_PROMPT =
  '<|system|>\n你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。<|end|><|user|>\n<img><IMG_CONTEXT><IMG_CONTEXT></img>\nDescribe the image.<|end|><|assistant|>\n';

const template = conversationTemplate('phi3-chat');
const PROMPTS = [
  PHI3_PROMPT,
  chatPrompt({ template, question: 'Hello, who are you?' }).prompt,
  chatPrompt({ template, question: 'Please describe the image shortly.', numPatchesList: [2], numImageToken: 4 }).prompt,
  chatPrompt({ template, question: multiImagePrefix(2) + 'What are the similarities and differences between these two images?', numPatchesList: [1, 3], numImageToken: 4 }).prompt,
  chatPrompt({ template, question: 'Can you tell me a story?', history: [['<image>\nWhat is this?', 'A red panda 🐼 eating bamboo.'], ['And the colours?', '红色和白色。\n\n  Mostly red.']] }).prompt,
  chatPrompt({ template, question: '  spaces   and\ttabs\n\n  and <ref>refs</ref><box>[[1, 2, 3, 4]]</box> ', systemMessage: 'Answer in English.' }).prompt,
  chatPrompt({ template, question: 'Frame1: <image>\nFrame2: <image>\nWhat happens in the video? 视频里发生了什么？', numPatchesList: [1, 1], numImageToken: 2 }).prompt,
  // Leading/trailing spaces, "▁" in the text, whitespace the strip flags eat (U+3000 and U+00A0 are str.isspace).
  '  leading and trailing  ',
  '▁▁x ▁ y▁',
  '▁',
  ' ',
  '',
  '\n',
  '<|end|>  spaced <|user|>   \n\t x',
  'a<|end|> \u3000\u00a0b<|assistant|>\u2003\n',
  '</s>  after a non-special </s>',
  '<s>hello <s> world</s><unk>',
  '▁<|user|>\nhi',
  ' <|user|>\nhi',
  '<|user|>',
  '<|system|>',
  'literal <0x41> and <|im_end|> and <|placeholder7|>',
  'no special tokens at all: 龘 😀 1234567 ',
  'tab\tthen\r\nCRLF and \u200b zero width',
];

/** Random texts from fragments: added tokens, whitespace of every kind, "▁", CJK, emoji, byte fallback. */
function randomTexts(count: number, seed: number): string[] {
  const fragments = [
    ...PHI3_ADDED_TOKENS, ...INTERNVL_ADDED_TOKENS, '<s>', '</s>', '<unk>', ' ', '  ', '\n', '\n\n', '\t', '\u3000', '\u00a0', '▁', '▁▁',
    'the', ' image', 'Describe', '你好', '上海人工智能实验室', '。', '😀', '👨‍👩‍👧', '龘', 'Привет', '123', '4.5', 'x_1', '<', '|', '>', '<|', '|>',
  ];
  const r = rng(seed);
  const out: string[] = [];
  while (out.length < count) {
    let t = '';
    const n = 1 + Math.floor(r() * 10);
    for (let k = 0; k < n; k++) t += fragments[Math.floor(r() * fragments.length)]!;
    out.push(t);
  }
  return out;
}

/** Random ids: byte pieces, ordinary pieces, the special ids and the added tokens. */
function randomIds(pieceCount: number, addedIds: readonly number[], r: () => number, length: number, ordinaryMax: number): number[] {
  const ids: number[] = [];
  for (let k = 0; k < length; k++) {
    const x = r();
    if (x < 0.3) ids.push(3 + Math.floor(r() * 256));
    else if (x < 0.5) ids.push(addedIds[Math.floor(r() * addedIds.length)]!);
    else if (x < 0.55) ids.push(Math.floor(r() * 3));
    else ids.push(259 + Math.floor(r() * (Math.min(ordinaryMax, pieceCount) - 259)));
  }
  return ids;
}

function streamPieces(tok: Tokenizer, ids: readonly number[], skipSpecialTokens: boolean): string[] {
  const d = new StreamDecoder(tok, { skipSpecialTokens });
  return [...ids.map((id) => d.push(id)), d.flush()];
}

interface Variant { name: string; opts: Phi3TokenizerOptions; keep: boolean }
// decode(skip_special_tokens=False) is compared only where legacy is false (see llama_tokenizer.ts).
const VARIANTS: Variant[] = [
  { name: 'phi3', opts: {}, keep: true },
  { name: 'phi3-chat-special', opts: { additionalSpecialTokens: [...PHI3_ADDED_TOKENS.slice(1), ...INTERNVL_ADDED_TOKENS] }, keep: true },
  { name: 'phi3-legacy-absent', opts: { legacy: 'absent' }, keep: false },
  { name: 'phi3-legacy-null', opts: { legacy: null, addPrefixSpace: false }, keep: false },
  { name: 'phi3-no-prefix', opts: { addPrefixSpace: false }, keep: true },
  { name: 'phi3-lstrip', opts: { chatTokensRstrip: false, lstrip: ['<|end|>', '<img>', '</s>', '<|user|>'] }, keep: true },
  { name: 'phi3-eos', opts: { addBosToken: false, addEosToken: true, additionalSpecialTokens: [] }, keep: true },
];

describe.skipIf(!haveSentencePiece())('LlamaTokenizer against a Python emulation of transformers\' slow LlamaTokenizer', () => {
  const texts = [...PROMPTS, ...randomTexts(150, 17)];
  const toks = new Map<string, Tokenizer>();
  const decodeSets = new Map<string, number[][]>();
  const answers = new Map<string, LlamaAnswer>();
  const trainedVariants: { name: string; legacy: boolean }[] = [{ name: 'trained', legacy: false }, { name: 'trained-legacy', legacy: true }];
  let trainedPieces = 0;
  let writeMs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llama-tokenizer-'));
    const t0 = performance.now();
    await writePhi3TokenizerFiles(join(dir, 'phi3'));
    writeMs = performance.now() - t0;
    for (const v of VARIANTS.slice(1)) {
      await writePhi3TokenizerJsonFiles(join(dir, v.name), v.opts);
      copyFileSync(join(dir, 'phi3', 'tokenizer.model'), join(dir, v.name, 'tokenizer.model'));
    }
    // A Llama-like model from SentencePieceTrainer (BPE, byte fallback, identity, dummy prefix, spaces kept,
    // digits split), its added tokens after its own pieces.
    const corpus = [readFileSync(join(root, 'README.md'), 'utf8'), SENTENCEPIECE_CORPUS].join('\n');
    writeFileSync(join(dir, 'corpus.txt'), corpus);
    mkdirSync(join(dir, 'trained'));
    execFileSync(PYTHON, [SCRIPT, writeRequest({
      train: [{ model: join(dir, 'trained', 'tokenizer.model'), corpus: join(dir, 'corpus.txt'), vocab_size: 1800, add_dummy_prefix: true,
        remove_extra_whitespaces: false, byte_fallback: true, split_digits: true, allow_whitespace_only_pieces: true }],
    })]);
    trainedPieces = parseSentencePieceModel(new Uint8Array(readFileSync(join(dir, 'trained', 'tokenizer.model')))).pieces.length;
    for (const v of trainedVariants) {
      await writePhi3TokenizerJsonFiles(join(dir, v.name), { legacy: v.legacy }, trainedPieces);
      if (v.name !== 'trained') copyFileSync(join(dir, 'trained', 'tokenizer.model'), join(dir, v.name, 'tokenizer.model'));
    }

    const r = rng(23);
    const requests: object[] = [];
    const names = [...VARIANTS.map((v) => v.name), ...trainedVariants.map((v) => v.name)];
    for (const name of names) {
      const tok = await loadTokenizerFromDir(join(dir, name));
      toks.set(name, tok);
      const pieces = name.startsWith('trained') ? trainedPieces : PHI3_SP_PIECES;
      const added = Array.from({ length: 20 }, (_, i) => pieces + i);
      const seqs = texts.slice(0, 40).map((t) => tok.encodePrompt(t));
      for (let k = 0; k < 120; k++) seqs.push(randomIds(pieces, added, r, 1 + Math.floor(r() * 24), 4400));
      decodeSets.set(name, seqs);
      const keep = VARIANTS.find((v) => v.name === name)?.keep ?? name === 'trained';
      requests.push({ dir: join(dir, name), prompts: texts, decode: seqs, ...(keep && { decode_keep: seqs }) });
    }
    reference({ llama: requests }).llama.forEach((a, i) => answers.set(names[i]!, a));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function writeRequest(request: object): string {
    const file = join(dir, `request-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(request));
    return file;
  }

  it('the synthetic files: 32000 pieces laid out like Llama\'s, vocabulary 32020, written in well under 5 s, same bytes every run', () => {
    expect(answers.get('phi3')!.piece_size).toBe(PHI3_SP_PIECES);
    expect(writeMs).toBeLessThan(5000);
    const tok = toks.get('phi3') as LlamaTokenizer;
    expect(tok).toBeInstanceOf(LlamaTokenizer);
    expect(tok.vocabSize).toBe(PHI3_VOCAB_SIZE);
    const { pieces, trainerSpec, normalizerSpec } = parseSentencePieceModel(new Uint8Array(readFileSync(join(dir, 'phi3', 'tokenizer.model'))));
    expect(pieces.slice(0, 3).map((p) => [p.piece, p.type])).toEqual([['<unk>', PIECE_TYPE.unknown], ['<s>', PIECE_TYPE.control], ['</s>', PIECE_TYPE.control]]);
    expect(pieces.slice(3, 259).every((p, b) => p.type === PIECE_TYPE.byte && p.piece === `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)).toBe(true);
    expect(pieces.slice(259).every((p) => p.type === PIECE_TYPE.normal)).toBe(true);
    expect(trainerSpec.byteFallback).toBe(true);
    expect(normalizerSpec).toMatchObject({ addDummyPrefix: true, removeExtraWhitespaces: false, precompiledCharsmap: new Uint8Array(0) });
    // As loaded with legacy false, the model has no dummy prefix.
    expect(tok.model.normalizerSpec.addDummyPrefix).toBe(false);
    expect(Buffer.from(phi3TokenizerModel()).equals(readFileSync(join(dir, 'phi3', 'tokenizer.model')))).toBe(true);
    const ids = [...PHI3_ADDED_TOKENS, ...INTERNVL_ADDED_TOKENS].map((t) => tok.tokenToId(t));
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => 32000 + i));
    expect(['<unk>', '<s>', '</s>'].map((t) => tok.tokenToId(t))).toEqual([0, 1, 2]);
    expect(tok.idToToken(32013)).toBe('<IMG_CONTEXT>');
    // all_special_tokens: bos, eos, unk (pad is eos again) and the additional ones — as the emulation has them.
    expect(tok.allSpecialTokens).toEqual(answers.get('phi3')!.all_special_tokens);
    expect(tok.isSpecial(32013) && tok.isSpecial(32000) && tok.isSpecial(1) && !tok.isSpecial(32007) && !tok.isSpecial(2)).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'phi3', 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ tokenizer_class: 'LlamaTokenizer', legacy: false, add_bos_token: true, add_eos_token: false, eos_token: '<|endoftext|>', pad_token: '<|endoftext|>' });
    expect(JSON.parse(readFileSync(join(dir, 'phi3', 'added_tokens.json'), 'utf8'))).toMatchObject({ '<|endoftext|>': 32000, '<|user|>': 32010, '</box>': 32019 });
  });

  for (const name of [...VARIANTS.map((v) => v.name), 'trained', 'trained-legacy']) {
    it(`encodePrompt and tokenize equal the emulation (${name})`, () => {
      const tok = toks.get(name) as LlamaTokenizer;
      const a = answers.get(name)!;
      texts.forEach((text, k) => {
        expect(tok.tokenize(text), `${name} ${JSON.stringify(text)}`).toEqual(a.tokens[k]);
        expect(tok.encodePrompt(text), `${name} ${JSON.stringify(text)}`).toEqual(a.input_ids[k]);
      });
    });

    it(`decode and StreamDecoder equal the emulation (${name})`, () => {
      const tok = toks.get(name)!;
      const a = answers.get(name)!;
      decodeSets.get(name)!.forEach((ids, k) => {
        expect(tok.decode(ids, { skipSpecialTokens: true }), `${name} ${JSON.stringify(ids)}`).toBe(a.decode[k]);
        if (a.decode_keep.length) expect(tok.decode(ids, { skipSpecialTokens: false }), `${name} keep ${JSON.stringify(ids)}`).toBe(a.decode_keep[k]);
        for (const skip of [true, false]) expect(streamPieces(tok, ids, skip).join('')).toBe(tok.decode(ids, { skipSpecialTokens: skip }));
      });
    });
  }

  it('the phi3-chat prompt: BOS, a lone "▁" before <|system|> unless it is a special token, newlines after rstrip tokens gone', () => {
    const ids = toks.get('phi3')!.encodePrompt(PHI3_PROMPT);
    const space = toks.get('phi3')!.tokenToId('▁')!;
    expect(ids.slice(0, 3)).toEqual([1, space, 32006]);
    expect(ids.slice(-2)).toEqual([32007, 32001]);
    expect(ids.filter((id) => id === 32013)).toHaveLength(2);
    // "<|user|>\n<img>": the newline is eaten by <|user|>'s rstrip; "</img>\nDescribe" keeps it (a byte piece).
    const user = ids.indexOf(32010);
    expect(ids[user + 1]).toBe(32011);
    expect(ids[ids.indexOf(32012) + 1]).toBe(3 + 0x0a);
    expect(toks.get('phi3-chat-special')!.encodePrompt(PHI3_PROMPT).slice(0, 2)).toEqual([1, 32006]);
    // legacy true: no "▁" token of its own; the text after <|system|> has its dummy-prefix "▁" instead.
    expect(toks.get('phi3-legacy-absent')!.encodePrompt(PHI3_PROMPT).slice(0, 2)).toEqual([1, 32006]);
    expect(toks.get('phi3-eos')!.encodePrompt('hi').at(-1)).toBe(32000);
  });

  it('decode(skipSpecialTokens) of a reply keeps <|end|> as text after a space, as upstream does; chat() cuts there', () => {
    const tok = toks.get('phi3')!;
    const reply = [...tok.encode('The cat sits.'), 32007];
    expect(tok.decode(reply, { skipSpecialTokens: true })).toBe('The cat sits. <|end|>');
    expect(tok.decode([32011, ...tok.encode('x'), 32012], { skipSpecialTokens: true })).toBe('x');
    expect(streamPieces(tok, reply, true).join('')).toBe('The cat sits. <|end|>');
  });
});

describe('LlamaTokenizer files: what is refused', () => {
  const model = phi3TokenizerModel();
  const config = phi3TokenizerConfig();

  it('an unsupported tokenizer_class is refused, naming the supported ones', () => {
    expect(() => loadSentencePieceTokenizer(model, { ...config, tokenizer_class: 'T5Tokenizer' }, {}, 'x/tokenizer.model')).toThrow(
      /^x\/tokenizer\.model: tokenizer_class "T5Tokenizer" is not supported with tokenizer\.model \(supported: InternLM2Tokenizer, LlamaTokenizer\)$/,
    );
    expect(() => loadSentencePieceTokenizer(model, { ...config, tokenizer_class: 'LlamaTokenizerFast' })).toThrow(/supported: InternLM2Tokenizer, LlamaTokenizer/);
    expect(loadSentencePieceTokenizer(model, config)).toBeInstanceOf(LlamaTokenizer);
  });

  it('settings read differently from upstream are refused, not approximated', () => {
    const load = (patch: Record<string, unknown>) => () => loadSentencePieceTokenizer(model, { ...config, ...patch }, {}, 'm');
    expect(load({ clean_up_tokenization_spaces: true })).toThrow(/clean_up_tokenization_spaces true is not supported/);
    expect(load({ split_special_tokens: true })).toThrow(/split_special_tokens true is not supported/);
    expect(load({ sp_model_kwargs: { enable_sampling: true } })).toThrow(/sp_model_kwargs .* is not supported/);
    expect(load({ add_prefix_space: null })).toThrow(/add_prefix_space null/);
    expect(load({ legacy: 'yes' })).toThrow(/legacy is "yes", not a boolean/);
    expect(load({ additional_special_tokens: ['<not a piece>'] })).toThrow(/special token "<not a piece>" is neither an added token nor a piece/);
    const decoder = { ...(config.added_tokens_decoder as Record<string, Record<string, unknown>>) };
    decoder['32007'] = { ...decoder['32007'], single_word: true };
    expect(load({ added_tokens_decoder: decoder })).toThrow(/"<\|end\|>" has single_word/);
    // legacy null is legacy true, as upstream (with its warning).
    expect((loadSentencePieceTokenizer(model, { ...config, legacy: null }) as LlamaTokenizer).legacy).toBe(true);
    // AddedToken dicts for the special tokens, as older files store them.
    const dict = loadSentencePieceTokenizer(model, { ...config, bos_token: { __type: 'AddedToken', content: '<s>' } }) as LlamaTokenizer;
    expect(dict.bosId).toBe(1);
  });
});
