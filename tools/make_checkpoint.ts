// npm run make-checkpoint -- --preset tiny|micro|full [--family internvl2-1b|internvl2_5-1b|internvl2-2b|internvl2-4b] --seed N --out DIR
//                            [--tie-word-embeddings]
// Writes a synthetic InternVL2 model directory (see tools/checkpoint/make.ts) for tests and benchmarks.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { makeCheckpoint } from './checkpoint/make.js';
import type { FamilyName } from './checkpoint/families.js';
import { PRESETS, type PresetName } from './checkpoint/presets.js';

export { makeCheckpoint } from './checkpoint/make.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { preset: { type: 'string', default: 'tiny' }, seed: { type: 'string', default: '1' }, out: { type: 'string' }, family: { type: 'string', default: 'internvl2-1b' }, 'tie-word-embeddings': { type: 'boolean', default: false } },
  });
  const preset = values.preset as PresetName;
  if (!PRESETS.includes(preset)) throw new Error(`--preset must be one of ${PRESETS.join(', ')}, got ${values.preset}`);
  if (!values.out) throw new Error('--out DIR is required');
  const seed = Number(values.seed);
  const t0 = performance.now();
  const layout = await makeCheckpoint({ preset, seed, out: values.out, tieWordEmbeddings: values['tie-word-embeddings'], family: values.family as FamilyName });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${values.out}: ${layout.tensors.length} tensors, model.safetensors ${layout.fileSize} bytes, ${seconds} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
