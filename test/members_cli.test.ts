// Each InternVL family member beyond InternVL2-1B through the CLI, as a user would run it: `internvl generate --json
// --logits-out` on a tiny synthetic checkpoint in the member's official layout. The prompt ids must equal what the
// upstream slow tokenizer gives for the upstream template's prompt (both written out independently here and in
// tools/reference/sentencepiece_ref.py), the logits and greedy tokens what the PyTorch reference computes.
// A saved quantized copy (`internvl quantize`) keeps the SentencePiece tokenizer and loads into the same logits.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../tools/checkpoint/make.js';
import { diff, formatTable } from '../tools/parity/compare.js';
import { PYTHON, runReference } from '../tools/parity/reference.js';

const root = join(import.meta.dirname, '..');
const BIN = join(root, 'tools', 'internvl.ts');
const SP_REF = join(root, 'tools', 'reference', 'sentencepiece_ref.py');
let dir: string;

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' };
  delete env.INTERNVL_PROFILE;
  return promisify(execFile)('npx', ['tsx', BIN, ...args], { cwd: root, env, maxBuffer: 16 << 20 });
}

async function generate(model: string, question: string, ...extra: string[]) {
  const logits = join(dir, `logits-${Math.random().toString(36).slice(2)}.f32`);
  const { stdout } = await cli('generate', '--model', model, '--prompt', question, '--max-new-tokens', '8', '--json', '--logits-out', logits, ...extra);
  const out = JSON.parse(stdout) as { prompt_ids: number[]; ids: number[] };
  return { ...out, logits: new Float32Array((await readFile(logits)).buffer.slice(0)) };
}

/** Prompt ids from the python emulation of the member's slow tokenizer (request kind as sentencepiece_ref.py names it). */
async function upstreamIds(kind: string, model: string, prompt: string): Promise<number[]> {
  const request = join(dir, `request-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(request, JSON.stringify({ [kind]: [{ dir: model, prompts: [prompt] }] }));
  const answer = JSON.parse(execFileSync(PYTHON, [SP_REF, request], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Record<string, { input_ids: number[][] }[]>;
  return answer[kind]![0]!.input_ids[0]!;
}

async function expectReference(model: string, ours: { prompt_ids: number[]; ids: number[]; logits: Float32Array }, quant?: 'q4') {
  const ref = await runReference(model, [{ ids: ours.prompt_ids, tileStart: 0, tiles: 0 }], undefined, 8, { dump: 'logits', ...(quant && { quant }) });
  const d = diff('logits', ours.logits, ref.tensors.get('sample0.logits') ?? ref.tensors.get('logits')!);
  expect(d.ok, formatTable([d])).toBe(true);
  expect(ours.ids).toEqual(ref.generated[0]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'members-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// upstream conversation.py: internlm2-chat, with InternVL2's system message (modeling_internvl_chat.py)
const INTERNVL2_SYSTEM = '你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。';

describe('InternVL2-2B (InternLM2, SentencePiece, internlm2-chat)', () => {
  let model: string;
  beforeAll(async () => {
    model = join(dir, 'internvl2-2b');
    await makeCheckpoint({ preset: 'tiny', seed: 8, out: model, family: 'internvl2-2b' });
  });

  it('generate: prompt ids as InternLM2Tokenizer gives them (with <s>), logits and tokens as the reference', async () => {
    const ours = await generate(model, 'Hello, who are you?');
    const prompt = `<|im_start|>system\n${INTERNVL2_SYSTEM}<|im_end|><|im_start|>user\nHello, who are you?<|im_end|><|im_start|>assistant\n`;
    expect(ours.prompt_ids).toEqual(await upstreamIds('internlm2', model, prompt));
    expect(ours.prompt_ids[0]).toBe(1);
    await expectReference(model, ours);
  }, 120_000);

  it('internvl quantize keeps tokenizer.model; the saved q4 copy gives the logits of --quant q4 and of the reference', async () => {
    const saved = join(dir, 'internvl2-2b-q4');
    await cli('quantize', '--model', model, '--quant', 'q4', '--out', saved);
    expect(await readFile(join(saved, 'tokenizer.model'))).toEqual(await readFile(join(model, 'tokenizer.model')));
    const fromSaved = await generate(saved, 'Hello, who are you?');
    const atLoad = await generate(model, 'Hello, who are you?', '--quant', 'q4');
    expect(fromSaved.prompt_ids).toEqual(atLoad.prompt_ids);
    expect([...fromSaved.logits]).toEqual([...atLoad.logits]);
    await expectReference(model, atLoad, 'q4');
  }, 180_000);
});

describe('InternVL2-4B (Phi-3, LlamaTokenizer, phi3-chat)', () => {
  let model: string;
  beforeAll(async () => {
    model = join(dir, 'internvl2-4b');
    await makeCheckpoint({ preset: 'tiny', seed: 9, out: model, family: 'internvl2-4b' });
  });

  it('generate: prompt ids as the slow LlamaTokenizer gives them (rstrip chat tokens), logits and tokens as the reference', async () => {
    const ours = await generate(model, 'Hello, who are you?');
    const prompt = `<|system|>\n${INTERNVL2_SYSTEM}<|end|><|user|>\nHello, who are you?<|end|><|assistant|>\n`;
    expect(ours.prompt_ids).toEqual(await upstreamIds('llama', model, prompt));
    expect(ours.prompt_ids.filter((t) => t === 32007).length).toBe(2); // <|end|>
    await expectReference(model, ours);
  }, 120_000);
});
