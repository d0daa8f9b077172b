// Node adapter for runtime/device.ts: Dawn through the npm `webgpu` package.
import { create, globals } from 'webgpu';
import { type Gpu, type GpuOptions, requestGpu } from '../../runtime/device.js';
import { type DeviceClass, parseVariantList } from '../../runtime/device_profile.js';
import { type AwaitGpu, setAwaitLongWork } from '../../runtime/wait.js';

/** How long the main thread blocks between two of Dawn's polls when a long GPU wait overruns its sleep. */
const NAP_MS = 1;
/** What Atomics.wait waits on: a cell nobody notifies, so every wait lasts its timeout. */
const napCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Awaits a GPU promise without busy-polling a core: block the thread for NAP_MS (Atomics.wait: the process sleeps,
 * lavapipe's threads get both cores), then let one turn of the event loop run Dawn's pending poll (dawn.node
 * re-queues it with setImmediate while work is outstanding), until the promise settles. Adds at most NAP_MS of latency.
 */
export const napBetweenPolls: AwaitGpu = async (done) => {
  let settled = false;
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    Atomics.wait(napCell, 0, 0, NAP_MS);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return done;
};

let shared: Promise<Gpu> | undefined;

/**
 * The device profile the environment asks for: INTERNVL_PROFILE=cpu|gpu|auto and INTERNVL_VARIANTS=op=variant,…
 * (runtime/device_profile.ts), honoured by the CLI, the benches and the tests. Options passed in code win.
 */
export function profileFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<GpuOptions, 'profile' | 'variants'> {
  const profile = env.INTERNVL_PROFILE?.trim();
  const variants = env.INTERNVL_VARIANTS?.trim();
  return {
    ...(profile && { profile: profile as DeviceClass | 'auto' }),
    ...(variants && { variants: parseVariantList(variants) }),
  };
}

/** A device on Dawn's default backend (Vulkan: lavapipe here, the real driver on a GPU machine). */
export function nodeGpu(givenOptions: GpuOptions = {}): Promise<Gpu> {
  if (Object.keys(givenOptions).length === 0 && shared) return shared;
  const options = { ...profileFromEnv(), ...givenOptions };
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, … as in a browser
  // Keep the instance referenced for the life of the process: when Dawn's instance is garbage-collected
  // while a device is alive the process aborts (futex / pthread_mutex_lock assertion).
  // INTERNVL_ADAPTER picks the adapter whose device name contains it (Dawn's `adapter` flag), e.g. per server.
  const adapter = process.env.INTERNVL_ADAPTER?.trim();
  const instance = create(adapter ? [`adapter=${adapter}`] : []);
  (globalThis as { __dawnInstances?: unknown[] }).__dawnInstances ??= [];
  (globalThis as { __dawnInstances?: unknown[] }).__dawnInstances!.push(instance);
  const gpu = requestGpu(instance, options, instance).then((g) => {
    // Napping pays where the adapter's work runs on this machine's cores (lavapipe, SwiftShader): Dawn's polling takes
    // one from it. On a GPU a spare core costs nothing, and a nap could add a millisecond to a few-millisecond step.
    if (g.isSoftware) setAwaitLongWork(napBetweenPolls);
    return g;
  });
  if (Object.keys(givenOptions).length === 0) shared = gpu;
  return gpu;
}
