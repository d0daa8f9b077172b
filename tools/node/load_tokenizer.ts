// Node adapter: reads whichever tokenizer files a model directory has and builds the tokenizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTokenizer, type QwenTokenizer, type TokenizerFiles } from '../../tokenizer/tokenizer.js';

const FILE_NAMES: Record<keyof TokenizerFiles, string> = {
  tokenizerJson: 'tokenizer.json',
  vocabJson: 'vocab.json',
  mergesTxt: 'merges.txt',
  addedTokensJson: 'added_tokens.json',
  tokenizerConfigJson: 'tokenizer_config.json',
};

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const files: TokenizerFiles = {};
  for (const [key, name] of Object.entries(FILE_NAMES) as [keyof TokenizerFiles, string][]) {
    const text = await readIfExists(join(dir, name));
    if (text !== undefined) files[key] = text;
  }
  return files;
}

export async function loadTokenizerFromDir(dir: string): Promise<QwenTokenizer> {
  return loadTokenizer(await readTokenizerFiles(dir));
}
