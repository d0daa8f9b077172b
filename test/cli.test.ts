// The `internvl` CLI end to end on the tiny checkpoint: `generate --json` prints exactly one JSON object with the
// full prompt ids, `--logits-out` writes V float32 values, `preprocess` writes [tiles, 3, 448, 448] floats, and bad
// input ends with a clear message naming the problem.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatPrompt } from '../model/conversation.js';
import { loadTokenizerFromDir } from '../tools/node/load_tokenizer.js';
import { tinyCheckpointDir } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const EXAMPLE = join(root, 'tools', 'demo', 'example.png');
let dir: string;
let model: string;

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]) {
  const base: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' };
  delete base.INTERNVL_PROFILE;
  delete base.INTERNVL_VARIANTS;
  return promisify(execFile)('npx', ['tsx', join(root, 'tools', 'internvl_cli.ts'), ...args], { cwd: root, env: { ...base, ...env }, maxBuffer: 16 << 20 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
  model = await tinyCheckpointDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('internvl CLI', () => {
  it('generate --json prints one object with the template-expanded prompt ids; --logits-out writes V floats', async () => {
    const logits = join(dir, 'logits.f32');
    const { stdout } = await cli('generate', '--model', model, '--image', EXAMPLE, '--prompt', 'What is this?', '--max-new-tokens', '5', '--json', '--logits-out', logits);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const out = JSON.parse(lines[0]!) as { prompt_ids: number[]; ids: number[]; text: string; timings: Record<string, number> };
    const tok = await loadTokenizerFromDir(model);
    const { prompt } = chatPrompt({ question: '<image>\nWhat is this?', numPatchesList: [1] });
    expect(out.prompt_ids).toEqual(tok.encode(prompt));
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
    const child = spawn('npx', ['tsx', join(root, 'tools', 'internvl_cli.ts'), 'chat', '--model', model, '--image', EXAMPLE, '--max-new-tokens', '4'], {
      cwd: root,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HF_HUB_OFFLINE: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin.end('What is this?\nAnd the colours?\n\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const turns = stdout.split('> ').filter((t) => t.trim());
    expect(turns.length).toBe(2); // two answers; the empty line ends the session
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
