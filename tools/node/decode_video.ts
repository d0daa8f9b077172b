// Node video adapter for the card's `load_video` (SPEC §9.3): ffprobe for the frame count and the
// average fps (decord's `len(vr)` and `get_avg_fps()`), `getIndex` for which frames, then ffmpeg
// decodes exactly those frame numbers to rgb24.
// Differences from decord that can remain: decord reads the container's nb_frames (or estimates
// from duration) while we count packets; YUV→RGB conversion is swscale's in both but flags may
// differ, so only RGB-coded videos are bit-exact.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { type RgbImage, rgbImage } from '../../model/image/rgb_image.js';
import { getIndex } from '../../model/image/video.js';

export interface VideoInfo {
  frameCount: number;
  /** avg_frame_rate as a float, like decord's get_avg_fps(). */
  fps: number;
  width: number;
  height: number;
}

function run(cmd: string, args: string[], what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`${what}: cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${what}: ${cmd} exited with ${code}: ${Buffer.concat(err).toString().trim()}`));
    });
  });
}

async function mustExist(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`video file ${path} does not exist or is not readable`);
  }
}

function parseRate(rate: string | undefined): number {
  const [num, den] = (rate ?? '0/0').split('/').map(Number);
  return num && den ? num / den : 0;
}

export async function probeVideo(path: string): Promise<VideoInfo> {
  await mustExist(path);
  const json = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries',
      'stream=width,height,avg_frame_rate,r_frame_rate,nb_read_packets', '-of', 'json', path],
    `probing video ${path}`,
  );
  const stream = (JSON.parse(json.toString()) as { streams?: Record<string, string | number>[] }).streams?.[0];
  if (!stream) throw new Error(`video ${path} has no video stream`);
  const frameCount = Number(stream.nb_read_packets);
  const fps = parseRate(String(stream.avg_frame_rate)) || parseRate(String(stream.r_frame_rate));
  const width = Number(stream.width);
  const height = Number(stream.height);
  if (!(frameCount > 0) || !(width > 0) || !(height > 0)) {
    throw new Error(`video ${path}: no decodable frames (frames ${frameCount}, size ${width}x${height})`);
  }
  return { frameCount, fps, width, height };
}

/** Decodes the frames numbered `indices` (0-based decode order), returned in the order asked. */
export async function decodeVideoFrames(path: string, indices: readonly number[], info?: VideoInfo): Promise<RgbImage[]> {
  const v = info ?? (await probeVideo(path));
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  for (const i of unique) {
    if (!Number.isInteger(i) || i < 0 || i >= v.frameCount) {
      throw new Error(`video ${path}: frame ${i} out of range 0..${v.frameCount - 1}`);
    }
  }
  if (unique.length === 0) return [];
  // select keeps frames in stream order and each only once, so duplicates are mapped back below.
  const select = `select='${unique.map((i) => `eq(n\\,${i})`).join('+')}'`;
  const raw = await run(
    'ffmpeg',
    ['-v', 'error', '-noautorotate', '-i', path, '-map', '0:v:0', '-vf', select,
      '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    `decoding video ${path}`,
  );
  const frameBytes = v.width * v.height * 3;
  if (raw.length !== frameBytes * unique.length) {
    throw new Error(
      `video ${path}: expected ${unique.length} frames of ${v.width}x${v.height}, got ${raw.length} bytes`,
    );
  }
  const byIndex = new Map(unique.map((i, k) => [
    i, rgbImage(v.width, v.height, new Uint8Array(raw.buffer, raw.byteOffset + k * frameBytes, frameBytes)),
  ]));
  return indices.map((i) => byIndex.get(i)!);
}

export interface LoadVideoOptions {
  /** Card example uses 8 (`load_video(..., num_segments=8)`); the function's own default is 32. */
  numSegments?: number;
  bound?: readonly [startS: number, endS: number] | null;
}

/** `load_video` up to the decoded frames: probe, get_index, decode. */
export async function loadVideoFrames(path: string, options: LoadVideoOptions = {}) {
  const { numSegments = 8, bound = null } = options;
  const info = await probeVideo(path);
  const indices = getIndex(bound, info.fps, info.frameCount - 1, 0, numSegments);
  const frames = await decodeVideoFrames(path, indices, info);
  return { frames, indices, info };
}
