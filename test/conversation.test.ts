import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SYSTEM_MESSAGE, IMG_CONTEXT, IMG_END, IMG_START, IM_END, IM_START, ENDOFTEXT,
  batchPrompts, buildPrompt, chatPrompt, expandImageTokens, leftPad, multiImagePrefix,
  postprocessResponse, videoPrefix, withImagePlaceholder,
} from '../model/conversation.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { tokenizerFixture } from './tokenizer_fixture.js';

const SYS = DEFAULT_SYSTEM_MESSAGE;
const ctx = (n: number) => '<img>' + '<IMG_CONTEXT>'.repeat(n) + '</img>';
const count = (ids: readonly number[], id: number) => ids.filter((x) => x === id).length;

describe('Hermes-2 template (SPEC §7)', () => {
  it('has the exact default system message', () => {
    expect(SYS).toBe('你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。');
  });

  it('renders a single turn byte for byte', () => {
    expect(buildPrompt({ history: [], question: 'Hi' })).toBe(
      `<|im_start|>system\n${SYS}<|im_end|><|im_start|>user\nHi<|im_end|><|im_start|>assistant\n`,
    );
  });

  it('renders history before the new question, with no newline after <|im_end|>', () => {
    const p = buildPrompt({ systemMessage: 'S', history: [['<image>\nq1', 'a1']], question: 'q2' });
    expect(p).toBe(
      '<|im_start|>system\nS<|im_end|><|im_start|>user\n<image>\nq1<|im_end|><|im_start|>assistant\na1<|im_end|>' +
        '<|im_start|>user\nq2<|im_end|><|im_start|>assistant\n',
    );
  });

  it('follows MPT `if message:` for empty strings', () => {
    expect(buildPrompt({ systemMessage: '', history: [['q', '']], question: 'x' })).toBe(
      '<|im_start|>system\n<|im_end|><|im_start|>user\nq<|im_end|><|im_start|>assistant\n<|im_start|>user\nx<|im_end|><|im_start|>assistant\n',
    );
  });

  it('matches the SPEC one-image example', () => {
    const { prompt } = chatPrompt({ question: 'Please describe the image shortly.', numPatchesList: [1] });
    expect(prompt).toBe(
      `<|im_start|>system\n${SYS}<|im_end|><|im_start|>user\n${ctx(256)}\nPlease describe the image shortly.<|im_end|><|im_start|>assistant\n`,
    );
  });
});

describe('chat() image rules (SPEC §6)', () => {
  it('prepends <image>\\n only with no history, images, and no placeholder', () => {
    expect(chatPrompt({ question: 'q', numPatchesList: [2] }).question).toBe('<image>\nq');
    expect(chatPrompt({ question: 'a <image> b', numPatchesList: [2] }).question).toBe('a <image> b');
    expect(chatPrompt({ question: 'q' }).question).toBe('q');
    // history=[] is not None upstream: nothing is prepended, so the image has no placeholder.
    expect(withImagePlaceholder('q', true, true)).toBe('q');
    expect(() => chatPrompt({ question: 'q', history: [], numPatchesList: [2] })).toThrow(/placeholders/);
  });

  it('replaces the first remaining <image> per entry, history included', () => {
    const hist = [['<image>\nwhat?', 'a cat']] as const;
    const { prompt } = chatPrompt({ question: 'and <image>?', history: hist, numPatchesList: [1, 2], numImageToken: 2 });
    expect(prompt).toContain(`user\n${ctx(2)}\nwhat?<|im_end|>`);
    expect(prompt).toContain(`user\nand ${ctx(4)}?<|im_end|>`);
    expect(prompt).not.toContain('<image>');
  });

  it('throws when there are fewer placeholders than images, leaves extra placeholders', () => {
    expect(() => expandImageTokens('<image> <image>', [1, 1, 1], 1)).toThrow(/3 images but only 2/);
    expect(expandImageTokens('<image> <image>', [1], 1)).toBe(`${ctx(1)} <image>`);
    expect(expandImageTokens('<image>', [], 1)).toBe('<image>');
  });

  it('builds the multi-image and video prefixes of the model card', () => {
    expect(multiImagePrefix(2)).toBe('Image-1: <image>\nImage-2: <image>\n');
    expect(videoPrefix(3)).toBe('Frame1: <image>\nFrame2: <image>\nFrame3: <image>\n');
    const { prompt } = chatPrompt({ question: multiImagePrefix(2) + 'diff?', numPatchesList: [7, 5], numImageToken: 1 });
    expect(prompt).toContain(`user\nImage-1: ${ctx(7)}\nImage-2: ${ctx(5)}\ndiff?<|im_end|>`);
  });

  it('post-processes the answer: split on <|im_end|>, part 0, Python strip', () => {
    expect(postprocessResponse('  A cat.\n<|im_end|>junk')).toBe('A cat.');
    expect(postprocessResponse('\u3000x\x1c')).toBe('x');
    expect(postprocessResponse('\uFEFFx')).toBe('\uFEFFx'); // not whitespace to Python
    expect(postprocessResponse('')).toBe('');
  });
});

describe('prompt token ids', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = (await tokenizerFixture()).slow;
  });

  it('has 256·tiles IMG_CONTEXT ids between <img> and </img>, and no BOS', () => {
    for (const tiles of [1, 7, 13]) {
      const { prompt } = chatPrompt({ question: 'Please describe the image shortly.', numPatchesList: [tiles] });
      const ids = tok.encode(prompt);
      expect(count(ids, IMG_CONTEXT)).toBe(256 * tiles);
      const start = ids.indexOf(IMG_START);
      expect(ids.slice(start + 1, start + 1 + 256 * tiles).every((id) => id === IMG_CONTEXT)).toBe(true);
      expect(ids[start + 1 + 256 * tiles]).toBe(IMG_END);
      expect(ids.slice(0, 3)).toEqual([IM_START, 8948, 198]);
      expect(ids.slice(-3)).toEqual([IM_START, 77091, 198]);
      expect(ids[start - 1]).toBe(198); // "user\n" then <img>
      expect(tok.decode(ids)).toBe(prompt);
    }
  });

  it('renders history turns as separate <|im_start|>…<|im_end|> blocks', () => {
    const { prompt } = chatPrompt({ question: 'q2', history: [['<image>\nq1', 'a1']], numPatchesList: [2] });
    const ids = tok.encode(prompt);
    expect(count(ids, IM_START)).toBe(5);
    expect(count(ids, IM_END)).toBe(4);
    expect(count(ids, IMG_CONTEXT)).toBe(512);
  });

  it('batch_chat: one prompt per sample, left padded with <|endoftext|>', () => {
    const prompts = batchPrompts(['describe', 'what is <image> here?'], [1, 3]);
    expect(prompts[0]).toContain(`user\n${ctx(256)}\ndescribe<|im_end|>`);
    expect(prompts[1]).toContain(`user\nwhat is ${ctx(768)} here?<|im_end|>`);
    const rows = prompts.map((p) => tok.encode(p));
    expect(rows.map((r) => count(r, IMG_CONTEXT))).toEqual([256, 768]);
    const { inputIds, attentionMask } = leftPad(rows);
    const pad = rows[1]!.length - rows[0]!.length;
    expect(inputIds[0]!.slice(0, pad).every((id) => id === ENDOFTEXT)).toBe(true);
    expect(inputIds[0]!.slice(pad)).toEqual(rows[0]);
    expect(attentionMask[0]!.indexOf(1)).toBe(pad);
    expect(inputIds[1]).toEqual(rows[1]);
    expect(attentionMask[1]!.every((m) => m === 1)).toBe(true);
    expect(() => batchPrompts(['a'], [1, 2])).toThrow(/1 questions but 2/);
  });
});
