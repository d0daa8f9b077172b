// A kernel is a complete .wgsl file in kernels/ plus a small TS descriptor (kernels/<name>.ts).
// Pipelines are created once per (kernel, override constants) and cached per device.
import { SHADERS } from '../kernels/shaders.gen.js';
import { type KernelInterface, parseKernelInterface } from './wgsl_interface.js';

export type Constants = Readonly<Record<string, number | boolean>>;

export interface KernelDef {
  /** File name without extension: kernels/<name>.wgsl. */
  readonly name: string;
  /** Features the WGSL enables (e.g. 'shader-f16'); the runtime refuses to compile it without them. */
  readonly requires?: readonly GPUFeatureName[];
}

export interface Kernel extends KernelDef {
  readonly wgsl: string;
  readonly iface: KernelInterface;
}

export function defineKernel(def: KernelDef): Kernel {
  const wgsl = (SHADERS as Record<string, string | undefined>)[def.name];
  if (wgsl === undefined) throw new Error(`[kernel ${def.name}] kernels/${def.name}.wgsl not found (run \`npm run gen\`)`);
  return { ...def, wgsl, iface: parseKernelInterface(def.name, wgsl) };
}

interface DeviceCache {
  modules: Map<string, GPUShaderModule>;
  pipelines: Map<string, GPUComputePipeline>;
  compileMs: number;
}

const caches = new WeakMap<GPUDevice, DeviceCache>();

function cacheFor(device: GPUDevice): DeviceCache {
  let c = caches.get(device);
  if (!c) caches.set(device, (c = { modules: new Map(), pipelines: new Map(), compileMs: 0 }));
  return c;
}

export function pipelineKey(kernel: Kernel, constants: Constants = {}): string {
  const keys = Object.keys(constants).sort();
  return keys.length ? `${kernel.name}{${keys.map((k) => `${k}=${constants[k]}`).join(',')}}` : kernel.name;
}

/** The cached compute pipeline for a kernel with these override constants. */
export function getPipeline(device: GPUDevice, kernel: Kernel, constants: Constants = {}): GPUComputePipeline {
  const cache = cacheFor(device);
  const key = pipelineKey(kernel, constants);
  let pipeline = cache.pipelines.get(key);
  if (pipeline) return pipeline;
  for (const f of kernel.requires ?? []) {
    if (!device.features.has(f)) throw new Error(`[kernel ${kernel.name}] needs the device feature "${f}", which this adapter lacks`);
  }
  const t0 = performance.now();
  let module = cache.modules.get(kernel.name);
  if (!module) {
    module = device.createShaderModule({ label: kernel.name, code: kernel.wgsl });
    cache.modules.set(kernel.name, module);
  }
  const numeric: Record<string, number> = {};
  for (const [k, v] of Object.entries(constants)) numeric[k] = typeof v === 'boolean' ? Number(v) : v;
  pipeline = device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: 'main', constants: numeric } });
  cache.pipelines.set(key, pipeline);
  cache.compileMs += performance.now() - t0;
  return pipeline;
}

/** Pipelines created on this device so far (a plan that adds some will compile on its first run on lavapipe). */
export function pipelineCount(device: GPUDevice): number {
  return cacheFor(device).pipelines.size;
}

/** Total wall time spent creating shader modules and pipelines on this device (load-time report). */
export function pipelineCompileMs(device: GPUDevice): number {
  return cacheFor(device).compileMs;
}
