// `npm run demo`: chat about the bundled example image with streamed output. Uses OpenGVLab/InternVL2-1B from
// the Hugging Face cache, or downloads it when the hub is reachable; otherwise says so plainly and runs a tiny
// synthetic checkpoint generated on the spot (its answer is noise, but every stage runs).
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchRepoInfo } from '../loader/hub.js';
import { makeCheckpoint } from './checkpoint/make.js';
import { cachedSnapshot, hfSettings, repoCacheDir } from './node/hf_cache.js';
import { InternVL, loadImage } from './node/internvl.js';
import { progressBar } from './node/progress_bar.js';

const REPO = 'OpenGVLab/InternVL2-1B';
const IMAGE = join(dirname(fileURLToPath(import.meta.url)), 'demo', 'example.png');
const QUESTION = 'Please describe the image shortly.';

async function pickModel(): Promise<{ source: string; synthetic: boolean }> {
  const hf = hfSettings();
  if (await cachedSnapshot(repoCacheDir(hf.cacheDir, REPO), 'main')) return { source: REPO, synthetic: false };
  if (!hf.offline) {
    try {
      await fetchRepoInfo(REPO, { endpoint: hf.endpoint, ...(hf.token && { token: hf.token }), fetch: (u, init) => fetch(u, { ...init, signal: AbortSignal.timeout(10_000) }) });
      return { source: REPO, synthetic: false };
    } catch (e) {
      console.log(`The Hugging Face hub is not reachable (${(e as Error).message}).`);
    }
  }
  const dir = join(tmpdir(), 'internvl-webgpu-demo-tiny-seed1');
  console.log(`Offline: running a tiny synthetic checkpoint instead (${dir}). Its answer is random noise; every stage still runs.`);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    const partial = `${dir}.partial-${process.pid}`; // renamed when complete: an interrupted run leaves no half checkpoint
    await makeCheckpoint({ preset: 'tiny', seed: 1, out: partial });
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  }
  return { source: dir, synthetic: true };
}

const { source, synthetic } = await pickModel();
const bar = progressBar();
const t0 = performance.now();
const model = await InternVL.load(source, { maxContext: 2048, onProgress: (p: { file?: string; bytesDone: number; bytesTotal: number }) => bar({ file: p.file ?? 'weights → GPU', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }) });
console.log(`Loaded ${synthetic ? 'tiny synthetic checkpoint' : REPO} on ${model.model.gpu.adapterName} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const image = await loadImage(IMAGE);
console.log(`User: <image ${IMAGE}>\n${QUESTION}`);
process.stdout.write('Assistant: ');
const stream = model.stream({ question: QUESTION, images: [image], maxTiles: 6, generation: { maxNewTokens: synthetic ? 24 : 128 } });
let step = await stream.next();
while (!step.done) {
  process.stdout.write(step.value);
  step = await stream.next();
}
const s = step.value.stats;
console.log(`\n\n[${s.tiles} tile(s): vision ${(s.visionMs / 1000).toFixed(2)} s, prefill ${s.prefillTokens} tokens in ${(s.prefillMs / 1000).toFixed(2)} s, decode ${s.decodeTokens} tokens at ${(s.decodeMs > 0 ? (1000 * s.decodeTokens) / s.decodeMs : 0).toFixed(1)} tok/s]`);
await model.destroy();
process.exit(0);
