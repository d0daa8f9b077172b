// SPEC §9.3: the card's get_index against CPython/numpy, and the ffmpeg adapter returning exactly
// the frame numbers asked for (each test frame's pixels encode its number; lossless PNG-in-MKV).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIndex, roundHalfEven, videoPixels } from '../model/image/video.js';
import { decodeVideoFrames, loadVideoFrames, probeVideo } from '../tools/node/decode_video.js';

type Bound = [number, number] | null;

describe('getIndex', () => {
  it('rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });

  it('matches the card\'s get_index in CPython/numpy', () => {
    const cases: [Bound, number, number, number][] = [];
    for (const fps of [10, 25, 29.97, 30000 / 1001, 23.976, 60, 0.5]) {
      for (const maxFrame of [0, 1, 7, 30, 299, 1000]) {
        for (const n of [1, 8, 16, 32]) {
          for (const bound of [null, [0, 1], [1.0, 2.5], [0.05, 3.3], [2.5, 1.0]] as Bound[]) cases.push([bound, fps, maxFrame, n]);
        }
      }
    }
    const py = `import json, sys
import numpy as np
def get_index(bound, fps, max_frame, first_idx=0, num_segments=32):
    if bound:
        start, end = bound[0], bound[1]
    else:
        start, end = -100000, 100000
    start_idx = max(first_idx, round(start * fps))
    end_idx = min(round(end * fps), max_frame)
    seg_size = float(end_idx - start_idx) / num_segments
    return [int(start_idx + (seg_size / 2) + np.round(seg_size * idx)) for idx in range(num_segments)]
cases = json.load(sys.stdin)
print(json.dumps([get_index(b, f, m, 0, n) for b, f, m, n in cases]))`;
    let ref: number[][];
    try {
      ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(cases) }).toString()) as number[][];
    } catch (e) {
      console.warn(`get_index cross-check skipped: no python3 with numpy (${(e as Error).message})`);
      return;
    }
    cases.forEach(([b, f, m, n], k) => expect(getIndex(b, f, m, 0, n), JSON.stringify(cases[k])).toEqual(ref[k]));
  });
});

const W = 64, H = 48, FRAMES = 40, FPS = 10;
/** Frame i's pixel (x, y): R = i, G = (7i + x) mod 256, B = (3y + i) mod 256. */
function framePixels(i: number): Uint8Array {
  const d = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) d.set([i, (7 * i + x) % 256, (3 * y + i) % 256], (y * W + x) * 3);
  }
  return d;
}

describe('decode_video (ffmpeg)', () => {
  let dir = '';
  let video = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'video-test-'));
    const raw = new Uint8Array(W * H * 3 * FRAMES);
    for (let i = 0; i < FRAMES; i++) raw.set(framePixels(i), i * W * H * 3);
    video = join(dir, 'numbered.mkv');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-r', String(FPS),
      '-i', 'pipe:0', '-c:v', 'png', video], { input: raw });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('probes frame count and fps', async () => {
    expect(await probeVideo(video)).toEqual({ frameCount: FRAMES, fps: FPS, width: W, height: H });
  });

  it('returns exactly the get_index frames, pixel for pixel', async () => {
    for (const [numSegments, bound] of [[8, null], [5, [1.0, 2.5]], [64, null]] as [number, Bound][]) {
      const { frames, indices } = await loadVideoFrames(video, { numSegments, bound });
      expect(indices).toEqual(getIndex(bound, FPS, FRAMES - 1, 0, numSegments));
      expect(frames.length).toBe(numSegments);
      frames.forEach((f, k) => {
        expect([f.width, f.height]).toEqual([W, H]);
        expect(Buffer.compare(f.data, framePixels(indices[k]!)), `segment ${k} = frame ${indices[k]}`).toBe(0);
      });
    }
  });

  it('decodes an explicit unsorted list with duplicates, in the order asked', async () => {
    const frames = await decodeVideoFrames(video, [39, 0, 17, 17, 3]);
    expect(frames.map((f) => f.data[0])).toEqual([39, 0, 17, 17, 3]);
  });

  it('gives one normalised 448 tile per frame', async () => {
    const { frames } = await loadVideoFrames(video, { numSegments: 3 });
    const px = videoPixels(frames);
    expect(px.numPatchesList).toEqual([1, 1, 1]);
    expect(px.pixelValues.length).toBe(3 * 3 * 448 * 448);
  });

  it('fails clearly, naming the file', async () => {
    await expect(probeVideo(join(dir, 'missing.mp4'))).rejects.toThrow(/missing\.mp4 does not exist/);
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'not a video at all');
    await expect(probeVideo(text)).rejects.toThrow(/notes\.mp4/);
    await expect(decodeVideoFrames(video, [40])).rejects.toThrow(/frame 40 out of range 0\.\.39/);
  });
});
