// Node adapter: reads whichever tokenizer files a model directory has and builds the tokenizer
// (tokenizer.json, vocab.json + merges.txt, or SentencePiece's tokenizer.model; tokenizer/tokenizer.ts picks).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTokenizer, type Tokenizer, type TokenizerFiles } from '../../tokenizer/tokenizer.js';

const FILE_NAMES: Record<Exclude<keyof TokenizerFiles, 'tokenizerModel'>, string> = {
  tokenizerJson: 'tokenizer.json',
  vocabJson: 'vocab.json',
  mergesTxt: 'merges.txt',
  addedTokensJson: 'added_tokens.json',
  tokenizerConfigJson: 'tokenizer_config.json',
};

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const files: TokenizerFiles = {};
  for (const [key, name] of Object.entries(FILE_NAMES) as [keyof typeof FILE_NAMES, string][]) {
    const bytes = await readIfExists(join(dir, name));
    if (bytes !== undefined) files[key] = bytes.toString('utf8');
  }
  // The binary SentencePiece model only when neither Qwen2 file set is there (it is what loadTokenizer would use).
  if (files.tokenizerJson === undefined && (files.vocabJson === undefined || files.mergesTxt === undefined)) {
    const model = await readIfExists(join(dir, 'tokenizer.model'));
    if (model !== undefined) files.tokenizerModel = new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
  }
  return files;
}

export async function loadTokenizerFromDir(dir: string): Promise<Tokenizer> {
  return loadTokenizer(await readTokenizerFiles(dir), dir);
}
