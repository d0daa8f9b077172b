// Where `internvl serve` reads image_url / video_url parts from: data: URLs, http(s) URLs (size cap, timeout),
// and local files only inside --media-dir (a path or file:// URL; symlinks resolved before the check).
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../../model/image/rgb_image.js';
import { type MediaResolver, MAX_MEDIA_BYTES, dataUrlBytes, fetchBytes } from '../../model/openai_api.js';
import { decodeImageBytes, decodeImageFile } from './decode_image.js';
import { loadVideoFrames } from './decode_video.js';

export interface MediaOptions {
  /** Local files are readable only under this directory; none when undefined. */
  readonly mediaDir?: string;
  /** Frames taken from a video by the card's get_index. */
  readonly videoFrames: number;
  readonly maxBytes?: number;
}

export function serverMedia(o: MediaOptions): MediaResolver {
  const maxBytes = o.maxBytes ?? MAX_MEDIA_BYTES;
  const bytes = async (url: string) => (url.startsWith('data:') ? dataUrlBytes(url) : fetchBytes(url, maxBytes));
  const isRemote = (url: string) => url.startsWith('data:') || /^https?:\/\//.test(url);

  async function localPath(url: string): Promise<string> {
    if (!o.mediaDir) throw new Error(`"${url.slice(0, 60)}" is not a data: or http(s) URL (local files need internvl serve --media-dir)`);
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    const root = await realpath(o.mediaDir);
    const real = await realpath(path.startsWith('/') ? path : join(root, path)).catch(() => {
      throw new Error(`no such file in the media directory: ${url}`);
    });
    if (real !== root && !real.startsWith(root + sep)) throw new Error(`${url} is outside the media directory`);
    return real;
  }

  return {
    async image(url): Promise<RgbImage> {
      return isRemote(url) ? decodeImageBytes(await bytes(url), url.startsWith('data:') ? 'image_url' : url) : decodeImageFile(await localPath(url));
    },
    async video(url): Promise<RgbImage[]> {
      if (!isRemote(url)) return (await loadVideoFrames(await localPath(url), { numSegments: o.videoFrames })).frames;
      // ffmpeg reads files: the bytes go to a private temporary directory for the decode.
      const dir = await mkdtemp(join(tmpdir(), 'internvl-video-'));
      try {
        const file = join(dir, 'video');
        await writeFile(file, await bytes(url));
        return (await loadVideoFrames(file, { numSegments: o.videoFrames })).frames;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
