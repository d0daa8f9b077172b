// The npm package as a user gets it: `npm pack` (prepack builds dist/), `npm install <tarball>` into an empty
// directory, then a Node script that imports `internvl-webgpu/node` and chats, `npx internvl generate --json`,
// a TypeScript consumer type-checked against the shipped .d.ts files, and a Vite build of a page that imports
// `internvl-webgpu` (which must pull in no Node built-in). Answers must equal the same call made from the sources.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternVL, loadImage } from '../tools/node/internvl.js';
import { tinyCheckpointDir } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const EXAMPLE = join(root, 'tools', 'demo', 'example.png');
const QUESTION = '<image>\nWhat is in the picture?';
const run = promisify(execFile);
const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1', npm_config_loglevel: 'error' };
delete env.INTERNVL_PROFILE;
delete env.INTERNVL_VARIANTS;

let dir: string;
let app: string;
let model: string;
let tarball: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'package-'));
  model = await tinyCheckpointDir();
  await run('npm', ['pack', '--pack-destination', dir], { cwd: root, env, maxBuffer: 64 << 20 });
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
  app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const typesNode = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['@types/node']!;
  await run('npm', ['install', tarball, `@types/node@${typesNode}`, '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], { cwd: app, env, maxBuffer: 64 << 20 });
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The same turn from the repository's sources, in this process. */
async function expectedIds(): Promise<number[]> {
  const m = await InternVL.load(model, { maxContext: 1024 });
  try {
    const r = await m.chat({ question: QUESTION, images: [await loadImage(EXAMPLE)], maxTiles: 1, generation: { maxNewTokens: 6 } });
    return r.ids;
  } finally {
    await m.destroy();
  }
}

describe('the npm package', () => {
  it('ships the compiled JavaScript, types and shaders, and no tests, benches or Python', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/dist/model/index.js');
    expect(files).toContain('package/dist/model/index.d.ts');
    expect(files).toContain('package/dist/tools/node/internvl.js');
    expect(files).toContain('package/dist/tools/internvl.js');
    expect(files).toContain('package/dist/kernels/shaders.gen.js');
    expect(files.filter((f) => /\/(test|bench)\/|\.py$|\.png$|\.wgsl$|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    const kB = (await stat(tarball)).size / 1000;
    expect(kB).toBeLessThan(2000);
    console.log(`internvl-webgpu tarball: ${kB.toFixed(0)} kB, ${files.length} files`);
  });

  it('a Node script imports internvl-webgpu/node and chats; npx internvl generate --json gives the same tokens', async () => {
    const script = `import { InternVL, loadImage } from 'internvl-webgpu/node';
const model = await InternVL.load(process.argv[2], { maxContext: 1024 });
const r = await model.chat({ question: process.argv[4], images: [await loadImage(process.argv[3])], maxTiles: 1, generation: { maxNewTokens: 6 } });
await model.destroy();
console.log(JSON.stringify(r.ids));
`;
    await writeFile(join(app, 'chat.mjs'), script);
    const fromScript = await run(process.execPath, ['chat.mjs', model, EXAMPLE, QUESTION], { cwd: app, env });
    const ids = JSON.parse(fromScript.stdout) as number[];
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual(await expectedIds());

    const cli = await run('npx', ['--no-install', 'internvl', 'generate', '--model', model, '--image', EXAMPLE, '--max-tiles', '1', '--prompt', QUESTION, '--max-new-tokens', '6', '--max-context', '1024', '--json'], { cwd: app, env });
    expect(cli.stderr).toBe('');
    expect((JSON.parse(cli.stdout) as { ids: number[] }).ids).toEqual(ids);
    const version = await run('npx', ['--no-install', 'internvl', '--version'], { cwd: app, env });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('a TypeScript consumer type-checks against the shipped types (strict, library checks on)', async () => {
    await writeFile(
      join(app, 'consumer.ts'),
      `import { type ChatRequest, type GenerationOptions, type ModelFiles, InternVL, concatPixelValues, fileListFiles, urlFiles } from 'internvl-webgpu';
import { InternVL as NodeInternVL, type RgbImage, loadImage, loadVideo } from 'internvl-webgpu/node';

const generation: GenerationOptions = { maxNewTokens: 64, doSample: true, temperature: 0.7, topP: 0.9, seed: 1 };

export async function describeImage(path: string): Promise<string> {
  const model: InternVL = await NodeInternVL.load('OpenGVLab/InternVL2-1B', { maxContext: 2048 });
  const image: RgbImage = await loadImage(path);
  const request: ChatRequest = { question: '<image>\\nDescribe the image.', images: [image], maxTiles: 6, generation };
  const first = await model.chat(request);
  let text = '';
  for await (const piece of model.stream({ question: 'And the colours?', history: first.history, images: [image] })) text += piece;
  const video = await loadVideo('clip.mp4', 8);
  const both = concatPixelValues([model.preprocess(image, 6), video.pixelValues]);
  const answers: string[] = await model.batchChat({ questions: ['a', 'b'], pixelValues: both, numPatchesList: [both.tiles - 8, 8] });
  await model.destroy();
  return first.response + text + answers.join();
}

export function sources(list: FileList): ModelFiles[] {
  return [urlFiles('https://example.com/models/InternVL2-1B/'), fileListFiles(list)];
}

// @ts-expect-error a question is a string
export const wrong: ChatRequest = { question: 42 };
`,
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], types: ['node'], noEmit: true, skipLibCheck: false }, files: ['consumer.ts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', app], { cwd: app, env }).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  });

  it('a Vite build of a page importing internvl-webgpu succeeds without any Node built-in', async () => {
    const web = join(app, 'web');
    await mkdir(web);
    await writeFile(join(web, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>');
    await writeFile(
      join(web, 'main.js'),
      `import { InternVL, decodeImageBlob, openHubModel } from 'internvl-webgpu';
document.body.textContent = [InternVL.load, decodeImageBlob, openHubModel].map((f) => typeof f).join();
`,
    );
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const imported: string[] = [];
    const { build } = await import('vite');
    await build({
      root: web,
      configFile: false,
      logLevel: 'silent',
      build: { outDir: join(web, 'dist'), emptyOutDir: true },
      plugins: [
        {
          name: 'no-node-builtins',
          enforce: 'pre',
          resolveId(source, importer) {
            if (builtins.has(source) || builtins.has(source.split('/')[0]!)) imported.push(`${importer} imports ${source}`);
            return null;
          },
        },
      ],
    });
    expect(imported).toEqual([]);
    const assets = readdirSync(join(web, 'dist', 'assets')).filter((f) => f.endsWith('.js'));
    const bundle = (await Promise.all(assets.map((f) => readFile(join(web, 'dist', 'assets', f), 'utf8')))).join('\n');
    expect(bundle).toContain('@compute'); // the WGSL kernels are in the bundle
    expect(bundle).not.toContain('__vite-browser-external');
    expect(bundle).not.toContain('dawn.node');
  });
});
