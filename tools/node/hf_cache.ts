// Node adapter for loader/hub.ts: the standard Hugging Face cache, shared with huggingface_hub (Python).
//   {cache}/models--{org}--{name}/blobs/{etag}               file contents (etag = sha256 for LFS files)
//   {cache}/models--{org}--{name}/snapshots/{commit}/{file}  relative symlink → ../../blobs/{etag}
//   {cache}/models--{org}--{name}/refs/{revision}            the commit sha the revision resolved to
// A blob is written to `{blob}.incomplete` (resumed across runs), checked, then renamed into place.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  DEFAULT_ENDPOINT, DownloadCheck, type DownloadOptions, type FileMetadata, HubError, HubNetworkError, type RepoInfo,
  WEIGHTS_INDEX, downloadChunks, fetchFileMetadata, fetchRepoInfo, parseRepoId, selectModelFiles, shardsFromIndex,
} from '../../loader/hub.js';
import type { ModelFiles } from '../../loader/model_files.js';
import type { HasherFactory } from '../../loader/sha256.js';
import { dirFiles } from './dir_files.js';

export type Env = Record<string, string | undefined>;

export interface HfSettings {
  endpoint: string;
  token?: string;
  offline: boolean;
  /** The hub cache directory (the folder holding models--*). */
  cacheDir: string;
}

/** Settings the way huggingface_hub reads them: HF_ENDPOINT, HF_TOKEN or $HF_HOME/token, HF_HUB_OFFLINE, HF_HUB_CACHE. */
export function hfSettings(env: Env = process.env): HfSettings {
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return {
    endpoint: env.HF_ENDPOINT || DEFAULT_ENDPOINT,
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || readToken(env.HF_TOKEN_PATH ?? join(hfHome, 'token')),
    offline: /^(1|on|yes|true)$/i.test(env.HF_HUB_OFFLINE ?? ''),
    cacheDir: env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome, 'hub'),
  };
}

function readToken(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface ResolveOptions extends DownloadOptions {
  /** Environment to read settings from (default process.env); explicit options win over it. */
  env?: Env;
  cacheDir?: string;
  offline?: boolean;
  /** Where notes such as "hub unreachable, using the cache" go (default stderr). */
  log?: (message: string) => void;
}

export const nodeSha256: HasherFactory = () => {
  const hash = createHash('sha256');
  return { update: (chunk) => void hash.update(chunk), digestHex: () => hash.digest('hex') };
};

export const repoCacheDir = (cacheDir: string, repo: string) => join(cacheDir, `models--${repo.replace('/', '--')}`);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path); // follows the symlink: a dangling pointer counts as missing
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * A local directory → its files; otherwise a repo id → its cached snapshot, downloading what is missing.
 * Offline (HF_HUB_OFFLINE=1, or the hub unreachable) a cached snapshot of the revision is used as is.
 */
export async function resolveModel(pathOrRepo: string, options: ResolveOptions = {}): Promise<ModelFiles> {
  if (await isDirectory(pathOrRepo)) return dirFiles(pathOrRepo);
  if (/^[.~]|^\/|\\/.test(pathOrRepo) || pathOrRepo.split('/').length > 2) {
    throw new Error(`${pathOrRepo}: no such model directory (and not a repo id like OpenGVLab/InternVL2-1B)`);
  }
  return dirFiles(await snapshotDownload(pathOrRepo, options));
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Makes the model files of `repo` present in the cache and returns the snapshot directory. */
export async function snapshotDownload(repo: string, options: ResolveOptions = {}): Promise<string> {
  const env = hfSettings(options.env);
  const o: ResolveOptions = { ...options, endpoint: options.endpoint ?? env.endpoint, token: options.token ?? env.token };
  const revision = options.revision ?? 'main';
  const root = repoCacheDir(options.cacheDir ?? env.cacheDir, parseRepoId(repo));
  const log = options.log ?? ((m: string) => void process.stderr.write(`${m}\n`));

  if (options.offline ?? env.offline) {
    const cached = await cachedSnapshot(root, revision);
    if (cached) return cached;
    throw new HubError(`offline mode (HF_HUB_OFFLINE) and no cached snapshot of ${repo}@${revision} in ${root}`);
  }
  let info: RepoInfo;
  try {
    info = await fetchRepoInfo(repo, o);
  } catch (e) {
    if (!(e instanceof HubNetworkError)) throw e;
    const cached = await cachedSnapshot(root, revision);
    if (!cached) throw new HubError(`${e.message}; and no cached snapshot of ${repo}@${revision} in ${root}`, undefined, { cause: e });
    log(`${e.message}; using the cached snapshot ${cached}`);
    return cached;
  }
  const snapshot = join(root, 'snapshots', info.commit);
  const files = selectModelFiles(info);
  for (const file of files) await ensureFile(root, info, file, o);
  if (files.includes(WEIGHTS_INDEX)) {
    const index = await readFile(join(snapshot, WEIGHTS_INDEX), 'utf8');
    for (const shard of shardsFromIndex(index)) await ensureFile(root, info, shard, o);
  }
  // The ref is written last, so an offline run only ever finds a complete snapshot through it.
  if (revision !== info.commit) await writeAtomic(join(root, 'refs', revision), info.commit);
  return snapshot;
}

/** snapshots/{commit} for a commit sha, or the one refs/{revision} names; undefined when absent. */
export async function cachedSnapshot(root: string, revision: string): Promise<string | undefined> {
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    try {
      commit = (await readFile(join(root, 'refs', revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
  const dir = join(root, 'snapshots', commit);
  return (await isDirectory(dir)) ? dir : undefined;
}

async function ensureFile(root: string, info: RepoInfo, file: string, o: ResolveOptions): Promise<void> {
  const pointer = join(root, 'snapshots', info.commit, file);
  if (await exists(pointer)) return; // already complete at this commit: no request at all
  const meta = await fetchFileMetadata(info.repo, info.commit, file, o);
  if (!/^[\w.-]+$/.test(meta.etag)) throw new HubError(`"${file}": unusable ETag "${meta.etag}"`);
  if (meta.commit !== info.commit) {
    throw new HubError(`"${file}": the hub answered for commit ${meta.commit}, expected ${info.commit}`);
  }
  const blob = join(root, 'blobs', meta.etag);
  if (!(await exists(blob))) await downloadBlob(meta, blob, o);
  await linkPointer(pointer, blob);
}

/** Streams `meta` into `{blob}.incomplete` (continuing what an earlier run left), checks it, renames it. */
async function downloadBlob(meta: FileMetadata, blob: string, o: ResolveOptions): Promise<void> {
  const part = `${blob}.incomplete`;
  await mkdir(dirname(blob), { recursive: true });
  let offset = 0;
  try {
    offset = (await stat(part)).size;
  } catch {
    // nothing to resume
  }
  if (offset > meta.size) {
    await rm(part);
    offset = 0;
  }
  const check = new DownloadCheck(meta, o.hasher ?? nodeSha256);
  if (offset > 0) for await (const chunk of createReadStream(part, { end: offset - 1 })) check.update(chunk as Buffer);
  const handle = await open(part, 'a');
  try {
    for await (const chunk of downloadChunks(meta, offset, o)) {
      for (let written = 0; written < chunk.byteLength; ) {
        written += (await handle.write(chunk, written, chunk.byteLength - written)).bytesWritten;
      }
      check.update(chunk);
    }
  } finally {
    await handle.close();
  }
  try {
    check.finish();
  } catch (e) {
    await rm(part, { force: true }); // bad bytes must not be resumed from
    throw e;
  }
  await rename(part, blob);
}

async function linkPointer(pointer: string, blob: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  await rm(pointer, { force: true }); // a dangling link left by a deleted blob
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch (e) {
    // Windows without symlink rights: huggingface_hub then stores the file in the snapshot itself.
    if ((e as { code?: string }).code !== 'EPERM') throw e;
    await copyFile(blob, pointer);
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
