// Hub download + HF cache against a loopback server that answers like huggingface.co (test/fake_hub.ts).
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DownloadProgress, downloadChunks, fetchFileMetadata, metadataFromSibling, fetchRepoInfo, selectModelFiles, shardsFromIndex } from '../loader/hub.js';
import { Sha256, sha256Hasher, sha256Hex } from '../loader/sha256.js';
import { openHubModel } from '../loader/browser_cache.js';
import { hfSettings, repoCacheDir, resolveModel, type ResolveOptions } from '../tools/node/hf_cache.js';
import { formatBytes, formatDuration, progressBar } from '../tools/node/progress_bar.js';
import { FakeHub, commitOf, gitSha1, lfs, sha256, text } from './fake_hub.js';


const hub = new FakeHub();
let home: string;
const weights = randomBytes(3 * 1024 * 1024 + 123);
const config = text('{"architectures":["InternVLChatModel"]}');
const baseFiles = () => ({
  'config.json': config,
  'generation_config.json': text('{}'),
  'model.safetensors': lfs(weights),
  'tokenizer_config.json': text('{"model_max_length": 8192}'),
  'vocab.json': text('{"a":0}'),
  'merges.txt': text('#version: 0.2\n'),
});
const opts = (extra: ResolveOptions = {}): ResolveOptions => ({
  env: { HF_HOME: home, HF_ENDPOINT: hub.url },
  retryDelayMs: 5,
  log: () => {},
  ...extra,
});
const modelDir = (repo: string) => repoCacheDir(join(home, 'hub'), repo);
const listDir = async (dir: string) => readdir(dir).catch(() => [] as string[]);

beforeAll(async () => {
  await hub.start();
  hub.addRepo('org/model', baseFiles());
  hub.addRepo('org/gated', baseFiles(), { token: 'hf_secret' });
  hub.addRepo('org/corrupt', baseFiles());
  hub.addRepo('org/holes', baseFiles(), { listedButMissing: ['special_tokens_map.json'] });
  const shardA = randomBytes(200_000);
  const shardB = randomBytes(150_000);
  const index = { metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } };
  hub.addRepo('org/sharded', {
    'config.json': config,
    'model.safetensors.index.json': text(JSON.stringify(index)),
    'model-00001-of-00002.safetensors': lfs(shardA),
    'model-00002-of-00002.safetensors': lfs(shardB),
  });
});
afterAll(() => hub.stop());
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'hf-home-'));
  hub.log.length = 0;
});
afterEach(() => rm(home, { recursive: true, force: true }));

describe('sha256', () => {
  it('matches node:crypto on random data fed in random chunks', () => {
    let seed = 1;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 65_537, 300_001]) {
      const data = randomBytes(size);
      const h = new Sha256();
      for (let at = 0; at < size; ) {
        const n = Math.min(size - at, rand(200) === 0 ? 70_000 : rand(150));
        h.update(data.subarray(at, at + n));
        at += n;
      }
      expect(h.digestHex(), `size ${size}`).toBe(sha256(data));
      expect(sha256Hex(data)).toBe(sha256(data));
    }
  });
});

describe('hub metadata', () => {
  it("selects a SentencePiece tokenizer.model (InternVL2-2B/4B) and not the repository's Python files", () => {
    const siblings = ['config.json', 'model.safetensors', 'tokenizer.model', 'tokenizer_config.json', 'tokenization_internlm2.py', 'modeling_internlm2.py'].map((rfilename) => ({ rfilename }));
    expect(selectModelFiles({ repo: 'OpenGVLab/InternVL2-2B', revision: 'main', commit: 'c'.repeat(40), siblings })).toEqual(['config.json', 'model.safetensors', 'tokenizer_config.json', 'tokenizer.model']);
  });
  it('reads the commit, the LFS etag/size and the CDN location from a HEAD that does not follow the redirect', async () => {
    const info = await fetchRepoInfo('org/model', { endpoint: hub.url });
    expect(info.commit).toBe(commitOf('org/model'));
    expect(selectModelFiles(info)).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'tokenizer_config.json']);
    const meta = await fetchFileMetadata('org/model', info.commit, 'model.safetensors', { endpoint: hub.url });
    expect(meta).toMatchObject({ commit: info.commit, etag: sha256(weights), sha256: sha256(weights), size: weights.byteLength });
    expect(meta.downloadUrl).toContain('/blobs/');
    const small = await fetchFileMetadata('org/model', info.commit, 'config.json', { endpoint: hub.url });
    expect(small).toMatchObject({ etag: gitSha1(config.data), size: config.data.byteLength, sha256: undefined });
    expect(hub.log.filter((l) => l.path.startsWith('/blobs/'))).toEqual([]); // the redirect was not followed
    // The API's blobs=true list gives the same etag/size/sha256 (the browser path, which cannot read redirects).
    const { downloadUrl: _, ...fromHead } = meta;
    expect(metadataFromSibling(info, 'model.safetensors', { endpoint: hub.url })).toMatchObject(fromHead);
    expect(metadataFromSibling(info, 'config.json', { endpoint: hub.url })).toMatchObject({ etag: small.etag, size: small.size, sha256: undefined });
    expect(shardsFromIndex('{"weight_map":{"a":"s1","b":"s2","c":"s1"}}')).toEqual(['s1', 's2']);
  });
});

describe('resolveModel', () => {
  it('downloads into the HF cache layout, resumes a dropped connection with Range, and reuses the cache', async () => {
    hub.dropAfter.set('model.safetensors', 1_000_000);
    const progress: DownloadProgress[] = [];
    const files = await resolveModel('org/model', opts({ onProgress: (p) => progress.push(p) }));
    const commit = commitOf('org/model');
    const root = modelDir('org/model');
    expect(files.describe()).toBe(join(root, 'snapshots', commit));

    const resumed = hub.gets('/blobs/').map((l) => l.range);
    expect(resumed[0]).toBeUndefined();
    expect(resumed[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(resumed[1]!)![0])).toBeGreaterThan(0);
    expect(sha256(await readFile(join(root, 'snapshots', commit, 'model.safetensors')))).toBe(sha256(weights));
    expect(await readlink(join(root, 'snapshots', commit, 'model.safetensors'))).toBe(`../../blobs/${sha256(weights)}`);
    expect(await readFile(join(root, 'refs', 'main'), 'utf8')).toBe(commit);
    expect((await listDir(join(root, 'blobs'))).some((f) => f.endsWith('.incomplete'))).toBe(false);
    expect(await files.readText('config.json')).toBe(config.data.toString());
    const source = await files.open('model.safetensors');
    expect(source?.size).toBe(weights.byteLength);
    await source?.close?.();
    expect(hub.log.some((l) => l.path.includes('README.md') || l.path.includes('modeling_fake.py'))).toBe(false);
    expect(progress.filter((p) => p.file === 'model.safetensors').at(-1)).toMatchObject({ bytesDone: weights.byteLength, bytesTotal: weights.byteLength });

    hub.log.length = 0;
    await resolveModel('org/model', opts());
    expect(hub.log.map((l) => `${l.method} ${l.path}`)).toEqual([`GET /api/models/org/model/revision/main`]);
  });

  it('continues an .incomplete file left by an earlier run', async () => {
    const blobs = join(modelDir('org/model'), 'blobs');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${sha256(weights)}.incomplete`), weights.subarray(0, 777_777));
    await resolveModel('org/model', opts({ hasher: sha256Hasher })); // the browser's hasher, prefix included
    expect(hub.gets('/blobs/').map((l) => l.range)).toEqual(['bytes=777777-']);
    expect(sha256(await readFile(join(blobs, sha256(weights))))).toBe(sha256(weights));
  });

  it('copes with a server that ignores Range (skips the bytes it already has)', async () => {
    const blobs = join(modelDir('org/model'), 'blobs');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${sha256(weights)}.incomplete`), weights.subarray(0, 100_000));
    hub.ignoreRange = true;
    try {
      await resolveModel('org/model', opts());
    } finally {
      hub.ignoreRange = false;
    }
    expect(sha256(await readFile(join(blobs, sha256(weights))))).toBe(sha256(weights));
  });

  it('gives up after the retries with a clear error', async () => {
    const meta = { repo: 'org/model', file: 'model.safetensors', commit: 'c', etag: 'e', size: 10, downloadUrl: `${hub.url}/x` };
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    const drain = async () => {
      for await (const _ of downloadChunks(meta, 0, { fetch: refused, retries: 2, retryDelayMs: 1 }));
    };
    await expect(drain()).rejects.toThrow(/"model\.safetensors": download failed after 2 retries at byte 0 of 10: fetch failed/);
  });

  it('reuses a blob already in the cache (e.g. from huggingface_hub) without downloading it', async () => {
    const blobs = join(modelDir('org/model'), 'blobs');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, sha256(weights)), weights);
    await resolveModel('org/model', opts());
    expect(hub.gets('/blobs/')).toEqual([]);
  });

  it('downloads the shards named by model.safetensors.index.json', async () => {
    const files = await resolveModel('org/sharded', opts());
    for (const shard of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
      const source = await files.open(shard);
      expect(source?.size, shard).toBeGreaterThan(100_000);
      await source?.close?.();
    }
    expect(hub.gets('/blobs/').length).toBe(2);
  });

  it('rejects a wrong sha256 and leaves no complete or partial file behind', async () => {
    hub.corrupt.add('model.safetensors');
    try {
      await expect(resolveModel('org/corrupt', opts())).rejects.toThrow(/"model\.safetensors": sha256 mismatch/);
    } finally {
      hub.corrupt.delete('model.safetensors');
    }
    const root = modelDir('org/corrupt');
    expect(await listDir(join(root, 'blobs'))).not.toContain(sha256(weights));
    expect((await listDir(join(root, 'blobs'))).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(await listDir(join(root, 'snapshots', commitOf('org/corrupt')))).not.toContain('model.safetensors');
    expect(await listDir(join(root, 'refs'))).toEqual([]);
  });

  it('says whether the repo, the revision or a file is missing', async () => {
    await expect(resolveModel('nobody/missing', opts())).rejects.toThrow(/repository "nobody\/missing" not found \(HTTP 404/);
    await expect(resolveModel('org/model', opts({ revision: 'v9' }))).rejects.toThrow(/revision "v9" not found in repository "org\/model"/);
    await expect(resolveModel('org/holes', opts())).rejects.toThrow(/file "special_tokens_map\.json" not found in org\/holes@[0-9a-f]{40} \(HTTP 404; the repository exists\)/);
  });

  it('sends HF_TOKEN (or $HF_HOME/token) as a Bearer token and explains a 401', async () => {
    await expect(resolveModel('org/gated', opts())).rejects.toThrow(/access denied \(HTTP 401\).*HF_TOKEN/);
    await resolveModel('org/gated', opts({ env: { HF_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secret' } }));
    expect(hub.log.filter((l) => l.path.startsWith('/org/gated/resolve/')).every((l) => l.auth === 'Bearer hf_secret')).toBe(true);

    await rm(join(home, 'hub'), { recursive: true });
    await writeFile(join(home, 'token'), 'hf_secret\n');
    expect(hfSettings({ HF_HOME: home }).token).toBe('hf_secret');
    await resolveModel('org/gated', opts());
  });

  it('uses the cached snapshot offline (HF_HUB_OFFLINE=1 or the hub unreachable), and says so when there is none', async () => {
    await expect(resolveModel('org/model', opts({ env: { HF_HOME: home, HF_HUB_OFFLINE: '1' } }))).rejects.toThrow(/offline mode.*no cached snapshot of org\/model@main/);
    const online = await resolveModel('org/model', opts());
    hub.log.length = 0;
    const offline = await resolveModel('org/model', opts({ env: { HF_HOME: home, HF_HUB_OFFLINE: '1' } }));
    expect(offline.describe()).toBe(online.describe());
    expect(hub.log).toEqual([]);
    const notes: string[] = [];
    const down = await resolveModel('org/model', opts({ env: { HF_HOME: home, HF_ENDPOINT: 'http://127.0.0.1:1' }, log: (m) => notes.push(m) }));
    expect(down.describe()).toBe(online.describe());
    expect(notes.join()).toMatch(/cannot reach .*using the cached snapshot/);
  });

  it('honours HF_HUB_CACHE and opens a local directory without the hub', async () => {
    const cache = join(home, 'elsewhere');
    await resolveModel('org/model', opts({ env: { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url } }));
    expect(await listDir(repoCacheDir(cache, 'org/model'))).toEqual(expect.arrayContaining(['blobs', 'refs', 'snapshots']));

    hub.log.length = 0;
    const local = join(home, 'local-model');
    await mkdir(local);
    await writeFile(join(local, 'config.json'), '{}');
    const files = await resolveModel(local, opts());
    expect(files.describe()).toBe(local);
    expect(await files.readText('config.json')).toBe('{}');
    expect(hub.log).toEqual([]);
    await expect(resolveModel('./no/such/dir', opts())).rejects.toThrow(/no such model directory/);
  });
});

describe('browser cache (Cache API stand-in)', () => {
  // Like the real Cache API, put() stores nothing unless the whole body stream is read without error.
  const store = new Map<string, ArrayBuffer>();
  beforeEach(() => {
    store.clear();
    const cache = {
      match: async (key: string) => (store.has(key) ? new Response(store.get(key)!) : undefined),
      put: async (key: string, res: Response) => void store.set(key, await res.arrayBuffer()),
    };
    vi.stubGlobal('caches', { open: async () => cache });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('stores verified files under the resolve URL at the commit and reads them back', async () => {
    const files = await openHubModel('org/model', { endpoint: hub.url, retryDelayMs: 5 });
    const key = `${hub.url}/org/model/resolve/${commitOf('org/model')}/model.safetensors`;
    expect(sha256(new Uint8Array(store.get(key)!))).toBe(sha256(weights));
    expect(hub.log.some((l) => l.method === 'HEAD')).toBe(false); // metadata came from blobs=true
    expect(await files.readText('config.json')).toBe(config.data.toString());
    const source = await files.open('model.safetensors');
    expect(Buffer.from(await source!.read(5, 10)).equals(weights.subarray(5, 15))).toBe(true);
  });

  it('stores nothing for a wrong sha256', async () => {
    hub.corrupt.add('model.safetensors');
    try {
      await expect(openHubModel('org/corrupt', { endpoint: hub.url })).rejects.toThrow(/"model\.safetensors": sha256 mismatch/);
    } finally {
      hub.corrupt.delete('model.safetensors');
    }
    expect([...store.keys()].some((k) => k.endsWith('model.safetensors'))).toBe(false);
  });
});

describe('progressBar', () => {
  it('writes occasional lines when not a TTY and a redrawn bar on a TTY', () => {
    let t = 0;
    const lines: string[] = [];
    const bar = progressBar({ write: (s: string) => lines.push(s), isTTY: false }, () => t);
    for (let done = 0; done <= 100; done += 5) {
      t += 500;
      bar({ file: 'model.safetensors', bytesDone: done * 1e6, bytesTotal: 100e6 });
    }
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.at(-1)).toMatch(/^model\.safetensors: 100% 100\.0 MB\/100\.0 MB 10\.0 MB\/s ETA 0s\n$/);

    const tty: string[] = [];
    const ttyBar = progressBar({ write: (s: string) => tty.push(s), isTTY: true, columns: 100 }, () => t);
    ttyBar({ file: 'f', bytesDone: 0, bytesTotal: 10 });
    t += 1000;
    ttyBar({ file: 'f', bytesDone: 10, bytesTotal: 10 });
    expect(tty.at(-1)).toMatch(/^\r\x1b\[Kf \[#+\] 100% .*\n$/);
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatDuration(125)).toBe('2m05s');
  });
});
