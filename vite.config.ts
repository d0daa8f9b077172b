// The browser page (tools/web): `npm run web` serves it at http://127.0.0.1:5173/ (WebGPU needs a secure context:
// localhost/127.0.0.1 or https). `npx vite build` writes a static copy to out/web/.
// The browser tests (test/browser) start their own server on this config with the repository root as root.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./tools/web', import.meta.url)),
  base: './',
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [repo] } },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: fileURLToPath(new URL('./out/web', import.meta.url)), emptyOutDir: true, target: 'es2022' },
  clearScreen: false,
});
