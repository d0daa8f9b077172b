// Shared synthetic checkpoints for tests: generated once into os.tmpdir() under a deterministic name and reused
// by later runs. Generation goes to a private temp dir that is renamed into place when complete, so a crashed
// run or a parallel worker never leaves (or sees) a half-written checkpoint.
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCheckpoint } from '../tools/checkpoint/make.js';
import type { FamilyName } from '../tools/checkpoint/families.js';
import type { PresetName } from '../tools/checkpoint/presets.js';

/** Bump when the generator's output changes, so stale cached checkpoints are not reused. */
const GENERATOR_VERSION = 2;

const pending = new Map<string, Promise<string>>();

export function checkpointDir(preset: PresetName, seed = 1, family: FamilyName = 'internvl2-1b'): Promise<string> {
  const member = family === 'internvl2-1b' ? '' : `-${family}`;
  const dir = join(tmpdir(), `internvl-webgpu-${preset}${member}-seed${seed}-v${GENERATOR_VERSION}`);
  let promise = pending.get(dir);
  if (!promise) {
    promise = (async () => {
      if (existsSync(join(dir, 'model.safetensors'))) return dir;
      const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
      await makeCheckpoint({ preset, seed, out: partial, family });
      try {
        await rename(partial, dir);
      } catch {
        // Another worker finished first: use its copy.
        await rm(partial, { recursive: true, force: true });
      }
      return dir;
    })();
    pending.set(dir, promise);
  }
  return promise;
}

/** The tiny preset (448 tiles, dims 64, 2+2 layers, real vocabulary): ~40 MB, about 2 s to generate. */
export function tinyCheckpointDir(seed = 1): Promise<string> {
  return checkpointDir('tiny', seed);
}

/** The micro preset (56-pixel tiles, dims 32): the smallest model that still has every tensor. */
export function microCheckpointDir(seed = 1): Promise<string> {
  return checkpointDir('micro', seed);
}
