// Conversation templates by config.json's `template` (upstream conversation.py, MPT style): each renders the
// upstream prompt, the stop token is the separator stripped, an unknown template is refused before any weight is
// read, and a checkpoint declaring internvl2_5 chats with that template end to end.
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternVL } from '../model/chat.js';
import { buildPrompt, chatPrompt, postprocessResponse } from '../model/conversation.js';
import { TEMPLATES, conversationTemplate, stopToken } from '../model/templates.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { tinyCheckpointDir } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'templates-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The tiny checkpoint with config.json's template replaced (other files linked). */
async function withTemplate(template: string): Promise<string> {
  const source = await tinyCheckpointDir();
  const out = await mkdtemp(join(dir, `${template}-`));
  for (const f of await readdir(source)) if (f !== 'config.json') await symlink(join(source, f), join(out, f));
  const config = JSON.parse(await readFile(join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(out, 'config.json'), JSON.stringify({ ...config, template }));
  return out;
}

describe('conversation templates', () => {
  it('render the upstream MPT prompts', () => {
    const q = { history: [['Hi', 'Hello!']] as const, question: 'Q' };
    expect(buildPrompt({ template: conversationTemplate('internvl2_5'), systemMessage: 'S', ...q })).toBe(
      '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(buildPrompt({ template: conversationTemplate('phi3-chat'), systemMessage: 'S', ...q })).toBe('<|system|>\nS<|end|><|user|>\nHi<|end|><|assistant|>\nHello!<|end|><|user|>\nQ<|end|><|assistant|>\n');
    expect(buildPrompt({ template: conversationTemplate('internlm2-chat'), systemMessage: 'S', ...q })).toBe(buildPrompt({ systemMessage: 'S', ...q })); // same as Hermes-2
    expect(buildPrompt({ template: conversationTemplate('internvl2_5'), history: [], question: 'Q' })).toContain('你是书生·万象，英文名是InternVL');
    expect(Object.values(TEMPLATES).map(stopToken)).toEqual(['<|im_end|>', '<|im_end|>', '<|end|>', '<|im_end|>']);
    expect(postprocessResponse(' answer<|end|>junk', conversationTemplate('phi3-chat'))).toBe('answer');
    expect(() => conversationTemplate('chatml')).toThrow(/template "chatml" is not supported \(supported: Hermes-2, internlm2-chat, phi3-chat, internvl2_5\)/);
  });

  it('a checkpoint declaring internvl2_5 chats with it; an unknown template is refused before the weights', async () => {
    const vl = await InternVL.create(await nodeGpu(), dirFiles(await withTemplate('internvl2_5')), { maxContext: 512 });
    try {
      const r = await vl.chat({ question: 'Hello', generation: { maxNewTokens: 4 } });
      const expected = chatPrompt({ template: conversationTemplate('internvl2_5'), question: 'Hello' }).prompt;
      expect(r.promptIds).toEqual(Uint32Array.from(vl.model.tokenizer.encode(expected)));
      expect(vl.model.tokenizer.decode([...r.promptIds])).toContain('<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n');
    } finally {
      await vl.destroy();
    }
    let progress = 0;
    await expect(InternVL.create(await nodeGpu(), dirFiles(await withTemplate('chatml')), { onProgress: () => progress++ })).rejects.toThrow(/template "chatml" is not supported/);
    expect(progress).toBe(0);
  });
});
