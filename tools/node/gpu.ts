// Node adapter for runtime/device.ts: Dawn through the npm `webgpu` package.
import { create, globals } from 'webgpu';
import { type Gpu, type GpuOptions, requestGpu } from '../../runtime/device.js';

let shared: Promise<Gpu> | undefined;

/** A device on Dawn's default backend (Vulkan: lavapipe here, the real driver on a GPU machine). */
export function nodeGpu(options: GpuOptions = {}): Promise<Gpu> {
  if (Object.keys(options).length === 0 && shared) return shared;
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, … as in a browser
  // Keep the instance referenced for the life of the process: when Dawn's instance is garbage-collected
  // while a device is alive the process aborts (futex / pthread_mutex_lock assertion).
  const instance = create([]);
  (globalThis as { __dawnInstances?: unknown[] }).__dawnInstances ??= [];
  (globalThis as { __dawnInstances?: unknown[] }).__dawnInstances!.push(instance);
  const gpu = requestGpu(instance, options, instance);
  if (Object.keys(options).length === 0) shared = gpu;
  return gpu;
}
