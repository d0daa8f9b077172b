// Browser adapter for hub.ts: model files kept in the Cache API ('internvl-webgpu'), keyed by the resolve URL at
// the commit ({endpoint}/{repo}/resolve/{commit}/{file}), so an entry never changes meaning.
// An entry is stored only after its check passes: the body stream given to cache.put() errors in its last pull
// when the size or sha256 is wrong, and put() commits nothing for a body that errors.
// Metadata comes from the API's file list (blobs=true): a browser cannot read the headers of a manual redirect.
import { blobSource } from './byte_source.js';
import {
  DEFAULT_ENDPOINT, DownloadCheck, type DownloadOptions, HubError, HubNetworkError, type RepoInfo, WEIGHTS_INDEX,
  downloadChunks, fetchFileMetadata, fetchRepoInfo, metadataFromSibling, resolveUrl, selectModelFiles, shardsFromIndex,
} from './hub.js';
import type { ModelFiles } from './model_files.js';

export const CACHE_NAME = 'internvl-webgpu';

/** Downloads what the cache lacks and returns the files. Offline, the last answer for the revision is reused. */
export async function openHubModel(repo: string, o: DownloadOptions = {}): Promise<ModelFiles> {
  const cache = await caches.open(CACHE_NAME);
  const endpoint = (o.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const infoKey = `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(o.revision ?? 'main')}`;
  let info: RepoInfo;
  try {
    info = await fetchRepoInfo(repo, o);
  } catch (e) {
    const cached = e instanceof HubNetworkError ? await cache.match(infoKey) : undefined;
    if (!cached) throw e;
    info = (await cached.json()) as RepoInfo;
  }
  const keyOf = (file: string) => resolveUrl(endpoint, repo, info.commit, file);
  const files = selectModelFiles(info);
  for (const file of files) await ensureCached(cache, keyOf(file), info, file, o);
  if (files.includes(WEIGHTS_INDEX)) {
    const index = await (await cache.match(keyOf(WEIGHTS_INDEX)))!.text();
    for (const shard of shardsFromIndex(index)) await ensureCached(cache, keyOf(shard), info, shard, o);
  }
  await cache.put(infoKey, new Response(JSON.stringify(info))); // after the files: offline only sees complete sets
  return {
    describe: () => `${repo}@${info.commit} (browser cache)`,
    async open(file) {
      const hit = await cache.match(keyOf(file));
      return hit ? blobSource(file, await hit.blob()) : undefined;
    },
    async readText(file) {
      return (await cache.match(keyOf(file)))?.text();
    },
  };
}

async function ensureCached(cache: Cache, key: string, info: RepoInfo, file: string, o: DownloadOptions): Promise<void> {
  if (await cache.match(key)) return;
  const meta = metadataFromSibling(info, file, o) ?? (await fetchFileMetadata(info.repo, info.commit, file, o));
  const check = new DownloadCheck(meta, o.hasher);
  const chunks = downloadChunks(meta, 0, o);
  let failure: unknown; // put() may reject with a generic error: keep ours
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (!next.done) {
          check.update(next.value);
          controller.enqueue(next.value);
          return;
        }
        check.finish();
        controller.close();
      } catch (e) {
        failure = e;
        controller.error(e);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(meta.size) };
  try {
    await cache.put(key, new Response(body, { headers }));
  } catch (e) {
    if (failure) throw failure;
    if ((e as Error)?.name === 'QuotaExceededError') throw await quotaError(file, meta.size, e);
    throw e;
  }
}

async function quotaError(file: string, size: number, cause: unknown): Promise<HubError> {
  let detail = '';
  try {
    const { usage, quota } = await navigator.storage.estimate();
    if (usage !== undefined && quota !== undefined) detail = ` (this site uses ${(usage / 1e9).toFixed(2)} GB of ${(quota / 1e9).toFixed(2)} GB)`;
  } catch {
    // estimate() is missing in some contexts; the message stands without it
  }
  return new HubError(
    `browser storage is full: cannot keep "${file}" (${(size / 1e9).toFixed(2)} GB)${detail}. ` +
      `Free disk space or clear this site's data, then reload.`,
    undefined,
    { cause },
  );
}
