// ModelFiles over a local model directory (an HF snapshot or a tools/make_checkpoint.ts output).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFiles } from '../../loader/model_files.js';
import { fileSource } from './file_source.js';

const isMissing = (e: unknown) => (e as { code?: string }).code === 'ENOENT';

export function dirFiles(dir: string): ModelFiles {
  return {
    describe: () => dir,
    async open(file) {
      const path = join(dir, file);
      try {
        if (!(await stat(path)).isFile()) return undefined;
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
      return fileSource(path);
    },
    async readText(file) {
      try {
        return await readFile(join(dir, file), 'utf8');
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
  };
}
