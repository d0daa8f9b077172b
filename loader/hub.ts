// Hugging Face Hub client, browser-safe: repo info, per-file metadata, streamed resumable download, checks.
// Follows huggingface_hub (file_download.py): the file list and commit come from
// GET {endpoint}/api/models/{repo}/revision/{revision}; per-file metadata from
// HEAD {endpoint}/{repo}/resolve/{commit}/{file} without following the redirect (X-Repo-Commit,
// X-Linked-Etag / ETag, X-Linked-Size / Content-Length, Location). The etag of an LFS file is its sha256.
// Storage lives in the adapters: tools/node/hf_cache.ts (HF cache layout), loader/browser_cache.ts (Cache API).
import { type HasherFactory, type Hasher, sha256Hasher } from './sha256.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** Hub base URL; the Node adapter reads HF_ENDPOINT. */
  endpoint?: string;
  /** Branch, tag or commit sha (default 'main'). */
  revision?: string;
  /** Sent as `Authorization: Bearer` to the hub (never to a CDN on another origin). */
  token?: string;
  fetch?: typeof fetch;
}

export interface DownloadProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

export interface DownloadOptions extends HubOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Re-requests (with Range) after a dropped connection or a 5xx without progress (default 5). */
  retries?: number;
  /** Base delay before a retry, doubled each time (default 200 ms). */
  retryDelayMs?: number;
  /** Plugs a SHA-256 implementation; default: the pure-TS one in sha256.ts. */
  hasher?: HasherFactory;
  signal?: AbortSignal;
}

/** An HTTP or integrity failure; `status` is the HTTP status where there was one. */
export class HubError extends Error {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubError';
  }
}

/** The hub could not be reached at all (DNS, refused, reset): the Node adapter then falls back to its cache. */
export class HubNetworkError extends HubError {
  constructor(message: string, cause: unknown) {
    super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
    this.name = 'HubNetworkError';
  }
}

export interface Sibling {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256: string; size: number };
}

export interface RepoInfo {
  repo: string;
  revision: string;
  /** The commit the revision pointed at; every file is then fetched at this commit. */
  commit: string;
  siblings: Sibling[];
}

export interface FileMetadata {
  repo: string;
  file: string;
  commit: string;
  /** Cache blob name: sha256 hex for LFS files, git blob sha1 otherwise. */
  etag: string;
  size: number;
  /** Expected sha256 hex (LFS files only). */
  sha256?: string;
  downloadUrl: string;
}

const endpointOf = (o: HubOptions) => (o.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');

const authHeaders = (o: HubOptions): Record<string, string> => (o.token ? { Authorization: `Bearer ${o.token}` } : {});

/** Checks an `org/name` repo id and returns it. */
export function parseRepoId(id: string): string {
  if (!/^[\w.-]+\/[\w.-]+$/.test(id) || id.includes('..')) {
    throw new HubError(`"${id}" is not a Hugging Face repo id (expected "org/name", e.g. OpenGVLab/InternVL2-1B)`);
  }
  return id;
}

const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');

/** `{endpoint}/{repo}/resolve/{revision}/{file}`; the revision is escaped whole (refs/pr/1 → refs%2Fpr%2F1). */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

async function hubFetch(url: string, init: RequestInit, o: HubOptions, what: string): Promise<Response> {
  try {
    return await (o.fetch ?? fetch)(url, init);
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new HubNetworkError(`${what}: cannot reach ${url}`, e);
  }
}

/** A clear error for a failed hub answer; `file` set means the repo itself was found. */
function httpError(res: Response, repo: string, revision: string, file?: string): HubError {
  const code = res.headers.get('x-error-code') ?? '';
  const where = `${repo}@${revision}`;
  if (res.status === 401 || res.status === 403) {
    return new HubError(
      `${file ? `"${file}" in ` : ''}${where}: access denied (HTTP ${res.status}). The repo may be gated or private ` +
        `(or not exist): set HF_TOKEN to a token that can read it (or log in with \`huggingface-cli login\`).`,
      res.status,
    );
  }
  if (res.status === 404) {
    if (code === 'RepoNotFound' || (!file && code !== 'RevisionNotFound')) {
      return new HubError(`repository "${repo}" not found (HTTP 404; revision "${revision}")`, 404);
    }
    if (code === 'RevisionNotFound') return new HubError(`revision "${revision}" not found in repository "${repo}" (HTTP 404)`, 404);
    return new HubError(`file "${file}" not found in ${where} (HTTP 404; the repository exists)`, 404);
  }
  return new HubError(`${file ? `"${file}" in ` : ''}${where}: HTTP ${res.status} ${res.statusText}`.trim(), res.status);
}

/** GET /api/models/{repo}/revision/{revision}?blobs=true → commit sha and file list (with sizes/sha256 when given). */
export async function fetchRepoInfo(repo: string, o: HubOptions = {}): Promise<RepoInfo> {
  const revision = o.revision ?? 'main';
  const url = `${endpointOf(o)}/api/models/${parseRepoId(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const res = await hubFetch(url, { headers: authHeaders(o) }, o, `${repo}@${revision}`);
  if (!res.ok) throw httpError(res, repo, revision);
  const body = (await res.json()) as { sha?: unknown; siblings?: unknown };
  if (typeof body.sha !== 'string' || !Array.isArray(body.siblings)) {
    throw new HubError(`${url}: unexpected answer (no "sha" or "siblings"; is ${endpointOf(o)} a Hugging Face hub?)`);
  }
  return { repo, revision, commit: body.sha, siblings: body.siblings as Sibling[] };
}

const normalizeEtag = (etag: string | null) => etag?.replace(/^W\//, '').replace(/"/g, '') || undefined;
const isSha256 = (s: string | undefined): s is string => s !== undefined && /^[0-9a-f]{64}$/.test(s);

/**
 * HEAD the resolve URL without following redirects, like huggingface_hub's get_hf_file_metadata.
 * A redirect that carries no file metadata (a renamed repo) is followed; the LFS redirect to the CDN is not.
 */
export async function fetchFileMetadata(repo: string, revision: string, file: string, o: HubOptions = {}): Promise<FileMetadata> {
  let url = resolveUrl(endpointOf(o), repo, revision, file);
  for (let hop = 0; hop < 5; hop++) {
    const init: RequestInit = { method: 'HEAD', redirect: 'manual', headers: { ...authHeaders(o), 'Accept-Encoding': 'identity' } };
    const res = await hubFetch(url, init, o, `"${file}" in ${repo}@${revision}`);
    if (res.type === 'opaqueredirect') {
      throw new HubError(`"${file}": redirect headers are hidden here (browser); use metadataFromSibling()`);
    }
    const h = res.headers;
    const location = h.get('location');
    const isRedirect = res.status >= 300 && res.status < 400;
    if (isRedirect && location && !h.get('x-repo-commit') && !h.get('x-linked-etag')) {
      url = new URL(location, url).toString();
      continue;
    }
    if (!res.ok && !isRedirect) throw httpError(res, repo, revision, file);
    const commit = h.get('x-repo-commit');
    const etag = normalizeEtag(h.get('x-linked-etag') ?? h.get('etag'));
    const size = Number(h.get('x-linked-size') ?? h.get('content-length') ?? NaN);
    if (!commit || !etag || !Number.isSafeInteger(size)) {
      throw new HubError(`"${file}" in ${repo}@${revision}: the answer lacks X-Repo-Commit, ETag or a size (is ${endpointOf(o)} a Hugging Face hub?)`);
    }
    const lfs = h.get('x-linked-etag') !== null;
    const downloadUrl = isRedirect && location ? new URL(location, url).toString() : url;
    return { repo, file, commit, etag, size, sha256: lfs && isSha256(etag) ? etag : undefined, downloadUrl };
  }
  throw new HubError(`"${file}" in ${repo}@${revision}: too many redirects`);
}

/** Metadata from the API's file list (blobs=true), for browsers where a manual redirect hides its headers. */
export function metadataFromSibling(info: RepoInfo, file: string, o: HubOptions = {}): FileMetadata | undefined {
  const s = info.siblings.find((x) => x.rfilename === file);
  const size = s?.lfs?.size ?? s?.size;
  const etag = s?.lfs?.sha256 ?? s?.blobId;
  if (!s || size === undefined || etag === undefined) return undefined;
  const downloadUrl = resolveUrl(endpointOf(o), info.repo, info.commit, file);
  return { repo: info.repo, file, commit: info.commit, etag, size, sha256: isSha256(s.lfs?.sha256) ? s.lfs.sha256 : undefined, downloadUrl };
}

/**
 * What the runtime reads; tokenizer.json is used when present, else Qwen2's slow-tokenizer files, else a SentencePiece
 * tokenizer.model (InternLM2, Phi-3).
 */
export const MODEL_FILES = [
  'config.json', 'generation_config.json', 'model.safetensors', 'model.safetensors.index.json',
  'tokenizer.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'tokenizer.model',
] as const;

export const WEIGHTS = 'model.safetensors';
export const WEIGHTS_INDEX = 'model.safetensors.index.json';

/** The files of `info` worth downloading (shards come later, from the index). Throws when it is not a model repo. */
export function selectModelFiles(info: RepoInfo): string[] {
  const present = new Set(info.siblings.map((s) => s.rfilename));
  const where = `${info.repo}@${info.revision}`;
  if (!present.has('config.json')) throw new HubError(`${where} has no config.json: not a model repository?`);
  if (!present.has(WEIGHTS) && !present.has(WEIGHTS_INDEX)) throw new HubError(`${where} has no ${WEIGHTS} or ${WEIGHTS_INDEX}`);
  // With both, the single file wins: the index would only repeat it.
  return MODEL_FILES.filter((f) => present.has(f) && !(f === WEIGHTS_INDEX && present.has(WEIGHTS)));
}

/** The shard files named by a model.safetensors.index.json, in first-use order. */
export function shardsFromIndex(indexJson: string): string[] {
  const map = (JSON.parse(indexJson) as { weight_map?: Record<string, string> }).weight_map;
  if (!map || typeof map !== 'object') throw new HubError(`${WEIGHTS_INDEX}: no "weight_map"`);
  const shards = [...new Set(Object.values(map))];
  for (const s of shards) if (typeof s !== 'string' || s.startsWith('/') || s.includes('..')) throw new HubError(`${WEIGHTS_INDEX}: bad shard name ${JSON.stringify(s)}`);
  return shards;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bytes of `meta` from `offset` to the end, as they arrive. A dropped connection (or a 5xx) is retried with
 * `Range: bytes=N-` from the last byte received; a server that ignores Range is handled by skipping the prefix.
 * The caller stores and checks the bytes (see DownloadCheck); nothing is buffered here beyond one chunk.
 */
export async function* downloadChunks(meta: FileMetadata, offset: number, o: DownloadOptions = {}): AsyncGenerator<Uint8Array> {
  const { file, size, downloadUrl } = meta;
  const sameOrigin = new URL(downloadUrl).origin === new URL(endpointOf(o)).origin;
  const retries = o.retries ?? 5;
  let done = offset;
  let failures = 0;
  const fail = async (e: unknown) => {
    if (++failures > retries) throw new HubNetworkError(`"${file}": download failed after ${retries} retries at byte ${done} of ${size}`, e);
    await sleep((o.retryDelayMs ?? 200) * 2 ** (failures - 1));
  };
  o.onProgress?.({ file, bytesDone: done, bytesTotal: size });
  while (done < size) {
    const headers: Record<string, string> = { ...(sameOrigin ? authHeaders(o) : {}), ...(done > 0 ? { Range: `bytes=${done}-` } : {}) };
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(downloadUrl, { headers, signal: o.signal });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      await fail(e);
      continue;
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      await fail(new HubError(`HTTP ${res.status}`, res.status));
      continue;
    }
    if (!res.ok || !res.body) throw httpError(res, meta.repo, meta.commit, file);
    let skip = 0;
    if (res.status === 200) skip = done; // Range ignored: the whole file again
    else if (!(res.headers.get('content-range') ?? '').startsWith(`bytes ${done}-`)) {
      await res.body.cancel();
      throw new HubError(`"${file}": asked for bytes ${done}-, the server answered Content-Range "${res.headers.get('content-range')}"`);
    }
    const reader = res.body.getReader();
    const before = done;
    let dropped = false;
    try {
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        let chunk = value;
        if (skip > 0) {
          const cut = Math.min(skip, chunk.byteLength);
          skip -= cut;
          chunk = chunk.subarray(cut);
          if (chunk.byteLength === 0) continue;
        }
        if (done + chunk.byteLength > size) throw new HubError(`"${file}": the server sent more than the expected ${size} bytes`);
        done += chunk.byteLength;
        yield chunk;
        o.onProgress?.({ file, bytesDone: done, bytesTotal: size });
      }
    } catch (e) {
      if (e instanceof HubError || (e as Error)?.name === 'AbortError') throw e;
      dropped = true;
      if (done > before) failures = 0; // progress was made: the budget is per stall, not per file
      await fail(e);
    } finally {
      await reader.cancel().catch(() => undefined); // closes the connection when the consumer stops early
    }
    // A clean end short of the size with no new bytes counts as a failure too, so this loop always ends.
    if (!dropped && done < size && done === before) await fail(new Error(`the answer ended at byte ${done}`));
  }
}

/** Counts and hashes the bytes of one file as they are stored; finish() throws on a size or sha256 mismatch. */
export class DownloadCheck {
  private readonly hasher?: Hasher;
  private bytes = 0;

  constructor(private readonly meta: FileMetadata, newHasher: HasherFactory = sha256Hasher) {
    if (meta.sha256) this.hasher = newHasher();
  }

  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    this.hasher?.update(chunk);
  }

  finish(): void {
    const { file, size, sha256 } = this.meta;
    if (this.bytes !== size) throw new HubError(`"${file}": got ${this.bytes} bytes, expected ${size}; the download was discarded`);
    const got = this.hasher?.digestHex();
    if (sha256 && got !== sha256) {
      throw new HubError(`"${file}": sha256 mismatch (expected ${sha256}, got ${got}); the download was discarded`);
    }
  }
}
