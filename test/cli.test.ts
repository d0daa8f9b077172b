// The `internvl` CLI end to end on the tiny checkpoint, through its bin (tools/internvl.ts): `generate --json`
// prints exactly one JSON object with the full prompt ids and nothing on stderr, `--logits-out` writes V float32
// values, prompts follow the card's placeholder rule, `preprocess` writes [tiles, 3, 448, 448] floats, `download`
// fills the HF cache from a loopback hub, and bad input ends with a one-line message and exit status 1 (2 for bad usage).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatPrompt } from '../model/conversation.js';
import { conversationTemplate } from '../model/templates.js';
import { makeCheckpoint } from '../tools/checkpoint/make.js';
import { loadTokenizerFromDir } from '../tools/node/load_tokenizer.js';
import { FakeHub, lfs, text } from './fake_hub.js';
import { tinyCheckpointDir } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const EXAMPLE = join(root, 'tools', 'demo', 'example.png');
const BIN = join(root, 'tools', 'internvl.ts');
let dir: string;
let model: string;

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]) {
  const base: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' };
  delete base.INTERNVL_PROFILE;
  delete base.INTERNVL_VARIANTS;
  return promisify(execFile)('npx', ['tsx', BIN, ...args], { cwd: root, env: { ...base, ...env }, maxBuffer: 16 << 20 });
}

/** Exit status and output of a run that is expected to fail. */
async function failing(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    await cli(...args);
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
  throw new Error(`internvl ${args.join(' ')} succeeded`);
}

async function promptIds(question: string, numPatchesList: number[]): Promise<number[]> {
  const tok = await loadTokenizerFromDir(model);
  return tok.encode(chatPrompt({ question, numPatchesList }).prompt);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
  model = await tinyCheckpointDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('internvl CLI', () => {
  it('generate --json prints one object with the template-expanded prompt ids; --logits-out writes V floats', async () => {
    const logits = join(dir, 'logits.f32');
    const { stdout, stderr } = await cli('generate', '--model', model, '--image', EXAMPLE, '--prompt', 'What is this?', '--max-new-tokens', '5', '--json', '--logits-out', logits);
    expect(stderr).toBe(''); // no Dawn warnings, no progress bars off a terminal
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const out = JSON.parse(lines[0]!) as { prompt_ids: number[]; ids: number[]; text: string; timings: Record<string, number> };
    expect(out.prompt_ids).toEqual(await promptIds('<image>\nWhat is this?', [1]));
    expect(out.ids.length).toBeGreaterThan(0);
    expect(out.ids.length).toBeLessThanOrEqual(5);
    expect(typeof out.text).toBe('string');
    expect(out.timings.tiles).toBe(1);
    expect((await stat(logits)).size).toBe(151655 * 4);
    const values = new Float32Array((await readFile(logits)).buffer.slice(0));
    expect(values.every(Number.isFinite)).toBe(true);
    // greedy by default: the first generated id is the argmax of the written logits
    let best = 0;
    for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
    expect(best).toBe(out.ids[0]);
  });

  it('generate honours INTERNVL_PROFILE and INTERNVL_VARIANTS: the gpu kernels give the same greedy tokens', async () => {
    const args = ['generate', '--model', model, '--image', EXAMPLE, '--prompt', 'What is this?', '--max-new-tokens', '6', '--json'];
    const parse = (stdout: string) => JSON.parse(stdout) as { ids: number[]; profile: string };
    const auto = parse((await cliWith({}, ...args)).stdout);
    const gpu = parse((await cliWith({ INTERNVL_PROFILE: 'gpu' }, ...args)).stdout);
    const forced = parse((await cliWith({ INTERNVL_PROFILE: 'cpu', INTERNVL_VARIANTS: 'gemm=gemm_tiled,attention=tiled' }, ...args)).stdout);
    expect(auto.profile).toMatch(/^cpu /); // lavapipe
    expect(gpu.profile).toMatch(/^gpu .*gemm=gemm_tiled gemv=coalesced attention=tiled attention_decode=cooperative/);
    expect(forced.profile).toMatch(/^cpu .*gemm=gemm_tiled .*attention=tiled/);
    expect(gpu.ids).toEqual(auto.ids);
    expect(forced.ids).toEqual(auto.ids);
    await expect(cliWith({ INTERNVL_VARIANTS: 'gemm=fastest' }, ...args)).rejects.toMatchObject({ stderr: expect.stringContaining('unknown variant "fastest" for gemm') });
  });

  it('chat answers every piped question in turn, with history', async () => {
    const child = spawn('npx', ['tsx', BIN, 'chat', '--model', model, '--image', EXAMPLE, '--image', EXAMPLE, '--max-new-tokens', '4'], {
      cwd: root,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A first question with three placeholders for two images is refused and the session goes on; then the card's
    // slots as typed; a later turn with a placeholder is refused too.
    child.stdin.end('<image> <image> <image> What?\nImage-1: <image>\nImage-2: <image>\nWhat is this?\n<image> again?\nAnd the colours?\n\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const turns = stdout.split('> ').filter((t) => t.trim());
    expect(turns.length).toBe(2); // two answers; the empty line ends the session
    expect(stderr).toContain('error: the prompt has 3 <image> placeholders for 2 images');
    expect(stderr).toContain('error: only the first question may hold <image> placeholders');
  });

  it('the placeholder rule: a prompt with <image> placeholders gets none added, and they are the slots in order', async () => {
    const run = async (...args: string[]) => (JSON.parse((await cli('generate', '--model', model, '--max-new-tokens', '1', '--json', ...args)).stdout) as { prompt_ids: number[] }).prompt_ids;
    expect(await run('--image', EXAMPLE, '--prompt', '<image>\nDescribe the image.')).toEqual(await promptIds('<image>\nDescribe the image.', [1]));
    const slots = 'Image-1: <image>\nImage-2: <image>\nWhat are the similarities and differences between these two images.';
    expect(await run('--image', EXAMPLE, '--image', EXAMPLE, '--prompt', slots)).toEqual(await promptIds(slots, [1, 1]));
    // without placeholders the card's prefixes are added: Image-N slots, or one <image> for combined tiles
    expect(await run('--image', EXAMPLE, '--image', EXAMPLE, '--prompt', 'Compare.')).toEqual(await promptIds('Image-1: <image>\nImage-2: <image>\nCompare.', [1, 1]));
    expect(await run('--image', EXAMPLE, '--image', EXAMPLE, '--combine-images', '--prompt', 'Compare.')).toEqual(await promptIds('<image>\nCompare.', [2]));
  });

  it('a placeholder count that fits neither the images nor the frames is a one-line error, before any weights load', async () => {
    const missing = join(dir, 'no-such-model'); // never reached: the prompt and media are checked first
    for (const [args, message] of [
      [['--image', EXAMPLE, '--image', EXAMPLE, '--prompt', '<image> one slot'], 'the prompt has 1 <image> placeholder for 2 images'],
      [['--image', EXAMPLE, '--image', EXAMPLE, '--combine-images', '--prompt', 'Image-1: <image>\nImage-2: <image>\n?'], 'for 2 images combined (one <image>)'],
      [['--video', 'clip.mp4', '--frames', '4', '--prompt', 'Frame1: <image>\nFrame2: <image>\n?'], 'for 4 video frames'],
      [['--prompt', '<image>\nDescribe.'], 'no --image or --video was given'],
    ] as const) {
      const r = await failing('generate', '--model', missing, ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    }
    const bad = join(dir, 'unreadable.png');
    await writeFile(bad, 'not an image');
    const r = await failing('generate', '--model', missing, '--image', bad, '--prompt', 'hi');
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('unreadable.png') });
    expect(r.stderr).not.toContain('no-such-model');
  });

  it('--help, --version and bad usage: help on stdout with exit 0, usage errors with exit 2', async () => {
    const help = await cli('generate', '--help');
    for (const flag of ['--model', '--prompt', '--image', '--combine-images', '--video', '--frames', '--json', '--temperature', '--verbose']) expect(help.stdout).toContain(flag);
    expect((await cli('--help')).stdout).toMatch(/chat[\s\S]*generate[\s\S]*download[\s\S]*preprocess/);
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect((await cli('--version')).stdout.trim()).toBe(pkg.version);
    expect(await failing('generate', '--model', model, '--prompt', 'hi', '--bogus')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown option --bogus') });
    expect(await failing('generate', '--prompt', 'hi')).toMatchObject({ code: 2, stderr: expect.stringContaining('--model DIR|REPO is required') });
    expect(await failing('frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(await failing()).toMatchObject({ code: 2 });
  });

  it('download fills the Hugging Face cache with a progress report and prints the snapshot; offline it finds it again', async () => {
    const hub = new FakeHub();
    await hub.start();
    try {
      const weights = Buffer.alloc(300_000, 7);
      hub.addRepo('org/model', { 'config.json': text('{}'), 'model.safetensors': lfs(weights), 'vocab.json': text('{}'), 'merges.txt': text('') });
      const env = { HF_HOME: join(dir, 'hf'), HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '0', INTERNVL_STDERR_COLUMNS: '100' };
      const online = await cliWith(env, 'download', 'org/model');
      const snapshot = online.stdout.trim();
      expect(snapshot).toBe(join(dir, 'hf', 'hub', 'models--org--model', 'snapshots', hub.repos.get('org/model')!.commit));
      expect(await readFile(join(snapshot, 'model.safetensors'))).toEqual(weights);
      expect(online.stderr).toContain('model.safetensors');
      expect(online.stderr).toContain('100%');
      expect((await cliWith({ ...env, HF_HUB_OFFLINE: '1' }, 'download', 'org/model')).stdout.trim()).toBe(snapshot);
    } finally {
      await hub.stop();
    }
  });

  it('generate --video samples frames by get_index, one tile and one Frame-N slot each', async () => {
    const clip = join(dir, 'clip.mkv');
    await promisify(execFile)('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-frames:v', '30', '-c:v', 'ffv1', clip]);
    const { stdout } = await cli('generate', '--model', model, '--video', clip, '--frames', '4', '--prompt', 'What happens?', '--max-new-tokens', '2', '--json');
    const out = JSON.parse(stdout) as { prompt_ids: number[]; timings: { tiles: number } };
    expect(out.timings.tiles).toBe(4);
    expect(out.prompt_ids.filter((t) => t === 151648).length).toBe(4 * 256);
    const tok = await loadTokenizerFromDir(model);
    expect(tok.decode(out.prompt_ids)).toContain('Frame1: <img>');
    expect(tok.decode(out.prompt_ids)).toContain('Frame4: <img>');
    // placeholders written by the user are the frame slots, as they stand
    const written = 'Frame1: <image>\nFrame2: <image>\nFrame3: <image>\nFrame4: <image>\nWhat happens here?';
    const own = JSON.parse((await cli('generate', '--model', model, '--video', clip, '--frames', '4', '--prompt', written, '--max-new-tokens', '1', '--json')).stdout) as { prompt_ids: number[] };
    expect(own.prompt_ids).toEqual(await promptIds(written, [1, 1, 1, 1]));
  });

  it('serve listens, reports ready, answers, and ends cleanly on SIGTERM', async () => {
    // node itself (not npx), so that SIGTERM reaches the bin, which hands it to the CLI
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', '--model', model, '--port', '0', '--max-context', '512'], {
      cwd: root,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' },
    });
    let stderr = '';
    const ready = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /ready at (http:\/\/\S+)\/v1/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    try {
      const url = await ready;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
      expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      expect(stderr).not.toContain('Warning:');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('generate on an InternVL2.5-1B layout uses its template and image tokens; --logits-out has its 151674 rows', async () => {
    const member = join(dir, 'internvl2_5');
    await makeCheckpoint({ preset: 'tiny', seed: 4, out: member, family: 'internvl2_5-1b' });
    const logits = join(dir, 'logits25.f32');
    const { stdout } = await cli('generate', '--model', member, '--image', EXAMPLE, '--max-tiles', '1', '--prompt', '<image>\nWhat is this?', '--max-new-tokens', '2', '--json', '--logits-out', logits);
    const out = JSON.parse(stdout) as { prompt_ids: number[] };
    const tok = await loadTokenizerFromDir(member);
    expect(out.prompt_ids).toEqual(tok.encode(chatPrompt({ template: conversationTemplate('internvl2_5'), question: '<image>\nWhat is this?', numPatchesList: [1] }).prompt));
    expect(out.prompt_ids.filter((t) => t === 151667).length).toBe(256);
    expect((await stat(logits)).size).toBe(151674 * 4);
  });

  it('preprocess writes float32 [tiles, 3, 448, 448] and prints the grid', async () => {
    const out = join(dir, 'pixels.f32');
    const { stdout } = await cli('preprocess', '--image', EXAMPLE, '--max-tiles', '6', '--out', out);
    const info = JSON.parse(stdout) as { tiles: number; grid: { cols: number; rows: number } };
    expect(info).toMatchObject({ tiles: 1, grid: { cols: 1, rows: 1 } });
    expect((await stat(out)).size).toBe(3 * 448 * 448 * 4);
  });

  it('an unreadable image is a clear error naming the file', async () => {
    const bad = join(dir, 'broken.png');
    await writeFile(bad, 'not an image');
    await expect(cli('preprocess', '--image', bad, '--out', join(dir, 'x.f32'))).rejects.toMatchObject({ stderr: expect.stringContaining('broken.png') });
  });

  it('a missing model directory is a clear error', async () => {
    await expect(cli('generate', '--model', join(dir, 'nope'), '--prompt', 'hi')).rejects.toMatchObject({ stderr: expect.stringContaining('no such model directory') });
  });
});
