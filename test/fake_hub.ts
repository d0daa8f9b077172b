// A loopback server that answers like huggingface.co, for the hub download tests (test/hub.test.ts) and the
// CLI's `internvl download` (test/cli.test.ts): the revision API, HEAD/GET resolve with X-Repo-Commit /
// X-Linked-Etag / X-Linked-Size, a 302 to /blobs/{sha256} for LFS files (the CDN), Range (206), and injected
// faults (dropped connection, wrong bytes, 404, 401).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Uint8Array) => createHash('sha1').update(`blob ${b.byteLength}\0`).update(b).digest('hex');
export const commitOf = (name: string) => createHash('sha1').update(name).digest('hex');

export interface FakeFile { data: Buffer; lfs: boolean }
export interface FakeRepo { commit: string; files: Map<string, FakeFile>; token?: string; listedButMissing?: string[] }
export interface Logged { method: string; path: string; range?: string; auth?: string }

export const text = (s: string): FakeFile => ({ data: Buffer.from(s), lfs: false });
export const lfs = (data: Buffer): FakeFile => ({ data, lfs: true });

export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly log: Logged[] = [];
  /** Files whose next GET is cut after this many bytes (once). */
  readonly dropAfter = new Map<string, number>();
  /** Files served with one byte flipped (always). */
  readonly corrupt = new Set<string>();
  /** Answer 200 with the whole file to a Range request, like a server without Range support. */
  ignoreRange = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  addRepo(id: string, files: Record<string, FakeFile>, extra: Partial<FakeRepo> = {}): FakeRepo {
    const repo = { commit: commitOf(id), files: new Map(Object.entries(files)), ...extra };
    this.repos.set(id, repo);
    return repo;
  }

  gets(pathPart: string): Logged[] {
    return this.log.filter((l) => l.method === 'GET' && l.path.includes(pathPart));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, this.url);
    const path = decodeURIComponent(url.pathname);
    this.log.push({ method: req.method!, path, range: req.headers.range, auth: req.headers.authorization });
    const deny = (repo: FakeRepo) => repo.token !== undefined && req.headers.authorization !== `Bearer ${repo.token}`;
    const fail = (status: number, code?: string) => {
      res.writeHead(status, code ? { 'X-Error-Code': code } : {}).end(code ?? '');
    };

    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (m) {
      const repo = this.repos.get(m[1]!);
      if (!repo) return fail(404, 'RepoNotFound');
      if (deny(repo)) return fail(401);
      if (m[2] !== 'main' && m[2] !== repo.commit) return fail(404, 'RevisionNotFound');
      // With ?blobs=true the hub adds sizes, git blob ids and LFS sha256 (what browsers use instead of HEAD).
      const blobs = url.searchParams.get('blobs') === 'true';
      const siblings = [...repo.files.keys(), ...(repo.listedButMissing ?? []), 'README.md', 'modeling_fake.py'].map((rfilename) => {
        const f = repo.files.get(rfilename);
        if (!blobs || !f) return { rfilename };
        const lfsInfo = f.lfs ? { lfs: { sha256: sha256(f.data), size: f.data.byteLength, pointerSize: 134 } } : {};
        return { rfilename, size: f.data.byteLength, blobId: gitSha1(f.data), ...lfsInfo };
      });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: m[1], sha: repo.commit, siblings }));
      return;
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const repo = this.repos.get(m[1]!);
      if (!repo) return fail(404, 'RepoNotFound');
      if (deny(repo)) return fail(401);
      if (m[2] !== 'main' && m[2] !== repo.commit) return fail(404, 'RevisionNotFound');
      const file = repo.files.get(m[3]!);
      if (!file) return fail(404, 'EntryNotFound');
      const common = { 'X-Repo-Commit': repo.commit };
      if (file.lfs) {
        const sha = sha256(file.data);
        res.writeHead(302, {
          ...common, 'X-Linked-Etag': `"${sha}"`, 'X-Linked-Size': String(file.data.byteLength),
          Location: `${this.url}/blobs/${sha}?file=${encodeURIComponent(m[3]!)}`, 'Content-Length': '0',
        }).end();
        return;
      }
      return this.serveBytes(req, res, m[3]!, file.data, { ...common, ETag: `"${gitSha1(file.data)}"` });
    }
    m = /^\/blobs\/([0-9a-f]{64})$/.exec(path);
    if (m) {
      for (const repo of this.repos.values()) {
        for (const [name, file] of repo.files) {
          if (file.lfs && sha256(file.data) === m[1]) return this.serveBytes(req, res, name, file.data, {});
        }
      }
    }
    fail(404);
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, name: string, data: Buffer, headers: Record<string, string>): void {
    if (this.corrupt.has(name)) {
      data = Buffer.from(data);
      data[data.length >> 1]! ^= 0xff;
    }
    const range = this.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (range && start >= data.byteLength) return void res.writeHead(416).end();
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Content-Length': String(body.byteLength),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${data.byteLength - 1}/${data.byteLength}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const drop = this.dropAfter.get(name);
    if (req.method === 'GET' && drop !== undefined) {
      this.dropAfter.delete(name);
      res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }
}
