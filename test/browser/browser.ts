// Real-browser test plumbing: Debian's Chromium driven by playwright-core (which never downloads a browser), and
// the repository served by Vite's dev server on http://127.0.0.1 (WebGPU needs a secure context; about:blank and
// data: URLs have no navigator.gpu). Model directories and generated fixtures are mounted under /files/<name>/
// by a small static handler that answers HEAD and Range like Hugging Face or any CDN.
// Adapters (shared/notes/lavapipe-measurements.md §7):
//   swiftshader: Chromium's default software adapter, core WebGPU, no shader-f16, 256 invocations per workgroup,
//                10 storage buffers per stage;
//   compat:      lavapipe through ANGLE's Vulkan backend and Dawn's OpenGL ES backend, WebGPU compatibility mode
//                (requestAdapter({featureLevel: 'compatibility'})), about 5× faster than SwiftShader.
import { existsSync, createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { type Plugin, type ViteDevServer, createServer } from 'vite';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUTPUT = join(REPO, 'test', '.output');

export type AdapterKind = 'swiftshader' | 'compat';

const BASE_FLAGS = [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
];
const ADAPTER_FLAGS: Record<AdapterKind, string[]> = {
  swiftshader: [],
  compat: ['--enable-features=Vulkan', '--use-angle=vulkan', '--use-webgpu-adapter=opengles', '--disable-gpu-sandbox'],
};

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Files the browser tests serve: `/files/<name>/<path>` → `<dir>/<path>`. */
export type Mounts = Record<string, string>;

const TYPES: Record<string, string> = { '.json': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg', '.txt': 'text/plain', '.webm': 'video/webm', '.mp4': 'video/mp4' };

/** GET/HEAD with single Range support, under the mounted directories only. */
export function serveMounts(mounts: Mounts) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const m = /^\/files\/([^/]+)\/(.+)$/.exec(decodeURIComponent((req.url ?? '').split('?')[0]!));
    const root = m && mounts[m[1]!];
    if (!m || !root) return next();
    const path = normalize(join(root, m[2]!));
    if (!path.startsWith(resolve(root) + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const size = statSync(path).size;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', TYPES[extname(path)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-store');
    let start = 0, end = size - 1;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range) {
      start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${size}`);
        res.end();
        return;
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.setHeader('Content-Length', String(end - start + 1));
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path, { start, end }).pipe(res);
  };
}

/**
 * Browser builds of the Node test code: `vitest` becomes a small in-page runner (test/browser/vitest_shim.ts) and
 * the test code's Dawn device (tools/node/gpu.ts) becomes navigator.gpu (test/browser/gpu_shim.ts). Nothing else changes.
 */
function browserTestPlugin(mounts: Mounts): Plugin {
  return {
    name: 'internvl-browser-tests',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || importer.includes('node_modules')) return null;
      if (source === 'vitest' && importer.includes(`${sep}test${sep}`)) return join(REPO, 'test', 'browser', 'vitest_shim.ts');
      if (source.endsWith('tools/node/gpu.js') && importer.includes(`${sep}test${sep}`)) return join(REPO, 'test', 'browser', 'gpu_shim.ts');
      return null;
    },
    configureServer(server) {
      server.middlewares.use(serveMounts(mounts));
    },
  };
}

export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Vite's dev server on the repository root (the page is /tools/web/, test pages under /test/browser/). */
export async function startServer(mounts: Mounts = {}): Promise<TestServer> {
  const server: ViteDevServer = await createServer({
    configFile: join(REPO, 'vite.config.ts'),
    root: REPO,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null, fs: { allow: [REPO, ...Object.values(mounts)] } },
    optimizeDeps: { entries: ['tools/web/index.html', 'test/browser/*.html'] },
    plugins: [browserTestPlugin(mounts)],
  });
  await server.listen();
  const address = server.httpServer!.address();
  if (!address || typeof address === 'string') throw new Error('vite: no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

export interface TestBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console lines and page errors, for failure messages. */
  readonly log: string[];
  close(): Promise<void>;
}

export async function launchBrowser(kind: AdapterKind): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'internvl-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false, // --headless=new below: the real browser's headless mode (Playwright's own wants its shell)
    args: [...BASE_FLAGS, ...ADAPTER_FLAGS[kind]],
    viewport: { width: 1280, height: 900 },
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } as Record<string, string>,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  return {
    context,
    page,
    log,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** `?adapter=compat` in a test page selects requestAdapter({featureLevel: 'compatibility'}). */
export function adapterQuery(kind: AdapterKind): string {
  return kind === 'compat' ? 'adapter=compat' : 'adapter=default';
}
