// Stands in for tools/node/gpu.ts when test/harness.ts runs inside a page (test/browser/browser.ts redirects the
// import): the same requestGpu on navigator.gpu. `?adapter=compat` asks for a compatibility-mode adapter.
import { type Gpu, type GpuOptions, requestGpu } from '../../runtime/device.js';

let shared: Promise<Gpu> | undefined;

export function pageGpuOptions(): GpuOptions {
  return new URLSearchParams(location.search).get('adapter') === 'compat' ? { featureLevel: 'compatibility' } : {};
}

export function nodeGpu(options: GpuOptions = {}): Promise<Gpu> {
  if (Object.keys(options).length > 0) return requestGpu(navigator.gpu, { ...pageGpuOptions(), ...options });
  return (shared ??= requestGpu(navigator.gpu, pageGpuOptions()));
}
