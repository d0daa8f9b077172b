// The core (kernels runtime model loader tokenizer) must run unchanged in a browser: no Node built-ins, no
// Node-only packages, no Node globals. Node specifics live in tools/node/.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const CORE = ['kernels', 'runtime', 'model', 'loader', 'tokenizer'];
const FORBIDDEN = [
  /from ['"]node:/,
  /from ['"](fs|path|os|child_process|crypto|http|https|url|util|stream|worker_threads)(\/[^'"]*)?['"]/,
  /from ['"](sharp|webgpu)['"]/,
  /import\(['"](node:|fs|sharp|webgpu)/,
  /\bBuffer\.(from|alloc)/,
  /\bprocess\.(env|argv|exit|cwd|stdout|stderr)/,
  /from ['"][./]+\/tools\//,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('core is browser-safe', () => {
  for (const dir of CORE) {
    it(dir, () => {
      const offenders: string[] = [];
      for (const f of files(join(root, dir))) {
        const code = readFileSync(f, 'utf8').replace(/\/\/[^\n]*/g, '');
        for (const re of FORBIDDEN) if (re.test(code)) offenders.push(`${relative(root, f)}: ${re}`);
      }
      expect(offenders).toEqual([]);
    });
  }
});
