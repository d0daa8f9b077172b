// Video frames as the card's load_video picks them: get_index over the clip (model/image/video.ts), each frame
// taken by seeking a <video> to the centre of frame i, (i + 0.5) / fps, and drawn to a canvas. Browsers do not
// expose the frame rate: it is measured with requestVideoFrameCallback while the clip plays muted (fallback 30).
import { readCanvas2d, rgbFromRgba } from './browser_decode.js';
import type { RgbImage } from './rgb_image.js';
import { getIndex } from './video.js';

export interface VideoFrames {
  readonly frames: RgbImage[];
  readonly indices: number[];
  readonly fps: number;
  readonly duration: number;
}

function once(target: EventTarget, event: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`video: no "${event}" within ${timeoutMs / 1000} s`)), timeoutMs);
    target.addEventListener(event, () => (clearTimeout(timer), resolve()), { once: true });
    target.addEventListener('error', () => (clearTimeout(timer), reject(new Error('video: the browser cannot decode this file'))), { once: true });
  });
}

type FrameCallbackVideo = HTMLVideoElement & { requestVideoFrameCallback?(cb: (now: number, meta: { mediaTime: number }) => void): number };

async function measureFps(video: FrameCallbackVideo): Promise<number | undefined> {
  if (!video.requestVideoFrameCallback) return undefined;
  const times: number[] = [];
  const done = new Promise<void>((resolve) => {
    const step = (_: number, meta: { mediaTime: number }) => {
      times.push(meta.mediaTime);
      if (times.length < 12) video.requestVideoFrameCallback!(step);
      else resolve();
    };
    video.requestVideoFrameCallback!(step);
    setTimeout(resolve, 3000);
  });
  await video.play().catch(() => {});
  await done;
  video.pause();
  const deltas = times.slice(1).map((t, i) => t - times[i]!).filter((d) => d > 1e-4).sort((a, b) => a - b);
  if (deltas.length < 3) return undefined;
  return Math.round((1 / deltas[Math.floor(deltas.length / 2)]!) * 1000) / 1000;
}

export async function videoFrames(file: Blob, numSegments: number, fpsOverride?: number): Promise<VideoFrames> {
  const video = document.createElement('video') as FrameCallbackVideo;
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  const url = URL.createObjectURL(file);
  try {
    video.src = url;
    await once(video, 'loadeddata');
    const fps = fpsOverride ?? (await measureFps(video)) ?? 30;
    const duration = video.duration;
    const maxFrame = Math.max(0, Math.round(duration * fps) - 1); // len(vr) - 1
    const indices = getIndex(null, fps, maxFrame, 0, numSegments);
    const frames: RgbImage[] = [];
    for (const i of indices) {
      const seeked = once(video, 'seeked');
      video.currentTime = Math.min((i + 0.5) / fps, Math.max(0, duration - 1e-3));
      await seeked;
      const { videoWidth: w, videoHeight: h } = video;
      frames.push(rgbFromRgba(w, h, readCanvas2d(video as unknown as CanvasImageSource & { width: number; height: number }, w, h)));
    }
    return { frames, indices, fps, duration };
  } finally {
    URL.revokeObjectURL(url);
    video.removeAttribute('src');
    video.load();
  }
}
