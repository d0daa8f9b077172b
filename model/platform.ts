// What InternVL.load needs from its environment: a GPU and a way to turn "OpenGVLab/InternVL2-1B", a URL or
// a path into ModelFiles. The browser platform is the default; tools/node/internvl.ts installs Node's
// (Dawn + the HF cache on disk) when imported.
import { openHubModel } from '../loader/browser_cache.js';
import type { DownloadOptions } from '../loader/hub.js';
import type { ModelFiles } from '../loader/model_files.js';
import { urlFiles } from '../loader/url_files.js';
import { type Gpu, type GpuOptions, requestGpu } from '../runtime/device.js';
import { browserImageDecoder } from './image/browser_decode.js';
import type { ImageDecoder } from './image/rgb_image.js';

export interface Platform {
  gpu(options?: GpuOptions): Promise<Gpu>;
  resolve(source: string, options: DownloadOptions): Promise<ModelFiles>;
  /** Encoded image bytes (PNG, JPEG, …) → pixels as PIL's Image.open(...).convert('RGB'). */
  readonly images: ImageDecoder;
}

const isUrl = (s: string) => /^(https?:|blob:|\.{0,2}\/)/.test(s);

export const browserPlatform: Platform = {
  gpu: (options) => requestGpu((globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu, options),
  resolve: async (source, options) => (isUrl(source) ? urlFiles(source.endsWith('/') ? source : `${source}/`) : openHubModel(source, options)),
  images: browserImageDecoder,
};

let current: Platform = browserPlatform;

export function setPlatform(platform: Platform): void {
  current = platform;
}

export function platform(): Platform {
  return current;
}
