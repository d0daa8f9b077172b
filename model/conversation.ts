// Prompt construction: a conversation template (model/templates.ts; InternVL2-1B's is "Hermes-2", MPT style)
// and the prompt rules of chat() / batch_chat() in modeling_internvl_chat.py (SPEC §6, §7).
// Everything here works on strings; tokenization happens afterwards, with no BOS/EOS added.
export { ENDOFTEXT, IMG_CONTEXT, IMG_END, IMG_START, IM_END, IM_START } from '../tokenizer/special_tokens.js';
import { ENDOFTEXT } from '../tokenizer/special_tokens.js';
import { type ChatTemplate, TEMPLATES, stopToken } from './templates.js';

const HERMES_2 = TEMPLATES['Hermes-2']!;

/** Hermes-2 default system message, verbatim (full-width ， and 。, ASCII ", " after InternVL). */
export const DEFAULT_SYSTEM_MESSAGE = HERMES_2.systemMessage;

export const IMAGE_PLACEHOLDER = '<image>';
export const IMG_START_TOKEN = '<img>';
export const IMG_END_TOKEN = '</img>';
export const IMG_CONTEXT_TOKEN = '<IMG_CONTEXT>';
/** Tokens per 448×448 tile after pixel shuffle: (448/14)² · 0.5². */
export const NUM_IMAGE_TOKEN = 256;

export type Turn = readonly [question: string, answer: string];

export interface PromptSpec {
  /** Hermes-2 (InternVL2-1B) when not given. */
  template?: ChatTemplate;
  systemMessage?: string;
  history: readonly Turn[];
  question: string;
}

/**
 * Conversation.get_prompt() for MPT: system + sep, then role + message + sep per message, and the bare
 * assistant role to open the answer. Upstream tests `if message:`, so an empty answer renders as role only.
 */
export function buildPrompt({ template: t = HERMES_2, systemMessage = t.systemMessage, history, question }: PromptSpec): string {
  const [user, assistant] = t.roles;
  let prompt = t.systemPrefix + systemMessage + t.sep;
  const message = (role: string, text: string) => (text ? role + text + t.sep : role);
  for (const [q, a] of history) prompt += message(user, q) + message(assistant, a);
  return prompt + message(user, question) + assistant;
}

/**
 * For each entry n, replaces the first remaining `<image>` of the whole prompt (history included) with
 * `<img>` + `<IMG_CONTEXT>`×(numImageToken·n) + `</img>`. Upstream silently ignores a missing
 * placeholder; here it is an error, since the context count would no longer match the image features.
 */
export function expandImageTokens(
  prompt: string,
  numPatchesList: readonly number[],
  numImageToken: number = NUM_IMAGE_TOKEN,
): string {
  let out = prompt;
  let from = 0;
  for (const [i, n] of numPatchesList.entries()) {
    const at = out.indexOf(IMAGE_PLACEHOLDER, from);
    if (at < 0) {
      throw new Error(`expandImageTokens: ${numPatchesList.length} images but only ${i} <image> placeholders`);
    }
    const tokens = IMG_START_TOKEN + IMG_CONTEXT_TOKEN.repeat(numImageToken * n) + IMG_END_TOKEN;
    out = out.slice(0, at) + tokens + out.slice(at + IMAGE_PLACEHOLDER.length);
    from = at + tokens.length;
  }
  return out;
}

/** chat() rule: with no history (None upstream) and images given, a question without `<image>` gets one. */
export function withImagePlaceholder(question: string, hasHistory: boolean, hasImages: boolean): string {
  return !hasHistory && hasImages && !question.includes(IMAGE_PLACEHOLDER) ? IMAGE_PLACEHOLDER + '\n' + question : question;
}

/** Card convention for several images: `Image-1: <image>\nImage-2: <image>\n…`. */
export function multiImagePrefix(count: number): string {
  let s = '';
  for (let k = 1; k <= count; k++) s += `Image-${k}: ${IMAGE_PLACEHOLDER}\n`;
  return s;
}

/** Card convention for video: `Frame1: <image>\nFrame2: <image>\n…`, one tile per frame. */
export function videoPrefix(frames: number): string {
  let s = '';
  for (let k = 1; k <= frames; k++) s += `Frame${k}: ${IMAGE_PLACEHOLDER}\n`;
  return s;
}

export interface ChatPromptSpec {
  template?: ChatTemplate;
  question: string;
  /** undefined = upstream's history=None; only then is `<image>\n` prepended. */
  history?: readonly Turn[];
  systemMessage?: string;
  /** Tiles per image placeholder; [] or undefined for a text-only turn. */
  numPatchesList?: readonly number[];
  numImageToken?: number;
}

/** The full chat() prompt string, plus the question as stored in the returned history. */
export function chatPrompt(spec: ChatPromptSpec): { prompt: string; question: string } {
  const patches = spec.numPatchesList ?? [];
  const question = withImagePlaceholder(spec.question, spec.history !== undefined, patches.length > 0);
  const text = buildPrompt({
    ...(spec.template && { template: spec.template }),
    ...(spec.systemMessage !== undefined && { systemMessage: spec.systemMessage }),
    history: spec.history ?? [],
    question,
  });
  return { prompt: expandImageTokens(text, patches, spec.numImageToken), question };
}

/** batch_chat(): one single-turn prompt per sample; questions[i] gets numPatchesList[i] tiles. */
export function batchPrompts(
  questions: readonly string[],
  numPatchesList: readonly number[],
  opts: { template?: ChatTemplate; systemMessage?: string; numImageToken?: number } = {},
): string[] {
  if (questions.length !== numPatchesList.length) {
    throw new Error(`batchPrompts: ${questions.length} questions but ${numPatchesList.length} patch counts`);
  }
  return questions.map((q, i) => {
    const question = withImagePlaceholder(q, false, true);
    const text = buildPrompt({
      ...(opts.template && { template: opts.template }),
      ...(opts.systemMessage !== undefined && { systemMessage: opts.systemMessage }),
      history: [],
      question,
    });
    return expandImageTokens(text, [numPatchesList[i]!], opts.numImageToken);
  });
}

/** batch_chat() pads on the left with `<|endoftext|>`; mask 0 on pads. */
export function leftPad(
  batch: readonly (readonly number[])[],
  padId: number = ENDOFTEXT,
): { inputIds: number[][]; attentionMask: number[][] } {
  const width = Math.max(0, ...batch.map((ids) => ids.length));
  return {
    inputIds: batch.map((ids) => [...new Array<number>(width - ids.length).fill(padId), ...ids]),
    attentionMask: batch.map((ids) => [...new Array<number>(width - ids.length).fill(0), ...ids.map(() => 1)]),
  };
}

// Python str.strip() whitespace (str.isspace), which differs from JS trim() (e.g. \x1c–\x1f, U+FEFF).
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');

/** chat() post-processing of the decoded answer: split on the template's stop token, keep part 0, strip. */
export function postprocessResponse(decoded: string, template: ChatTemplate = HERMES_2): string {
  return decoded.split(stopToken(template))[0]!.replace(PY_STRIP, '');
}
