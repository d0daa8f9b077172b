// Timing a plan: GPU time from two timestamp-only passes around the plan's submission (queue order makes
// them bracket it) when the device has `timestamp-query`, wall clock around the smart wait otherwise.
import type { Gpu } from './device.js';
import type { Plan } from './plan.js';
import { type WaitStats, waitForGpu } from './wait.js';

export interface Timer {
  readonly method: 'timestamp' | 'wall';
  /** Runs `submit` (which must submit GPU work) and returns its duration in ms. */
  time(submit: () => void): Promise<number>;
  destroy(): void;
}

export function createTimer(gpu: Gpu, wait: WaitStats = { expectedMs: 0 }): Timer {
  const { device } = gpu;
  if (!gpu.features.timestamps) {
    return {
      method: 'wall',
      async time(submit) {
        const t0 = performance.now();
        submit();
        await waitForGpu(device, wait);
        return performance.now() - t0;
      },
      destroy() {},
    };
  }
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const mark = (index: 0 | 1, resolveAfter: boolean) => {
    const encoder = device.createCommandEncoder();
    const timestampWrites = index === 0 ? { querySet, beginningOfPassWriteIndex: 0 } : { querySet, endOfPassWriteIndex: 1 };
    encoder.beginComputePass({ timestampWrites }).end();
    if (resolveAfter) {
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readback, 0, 16);
    }
    device.queue.submit([encoder.finish()]);
  };
  return {
    method: 'timestamp',
    async time(submit) {
      mark(0, false);
      submit();
      mark(1, true);
      await waitForGpu(device, wait);
      await readback.mapAsync(GPUMapMode.READ);
      const [t0, t1] = new BigUint64Array(readback.getMappedRange());
      const ms = Number(t1! - t0!) / 1e6;
      readback.unmap();
      return ms;
    },
    destroy() {
      querySet.destroy();
      resolve.destroy();
      readback.destroy();
    },
  };
}

/** Time one plan `reps` times after `warmup` runs; returns every duration in ms. */
export async function timePlan(gpu: Gpu, plan: Plan, reps: number, warmup = 1): Promise<{ method: Timer['method']; ms: number[] }> {
  const timer = createTimer(gpu, plan.wait);
  const ms: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t = await timer.time(() => plan.submit());
    if (i >= warmup) ms.push(t);
  }
  timer.destroy();
  return { method: timer.method, ms };
}

/** Bytes per second of copyBufferToBuffer on this adapter (one direction: bytes copied / time). */
export async function copyBandwidth(gpu: Gpu, bytes = 256 * 1024 * 1024, reps = 5): Promise<number> {
  const { device } = gpu;
  const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const src = device.createBuffer({ size: bytes, usage });
  const dst = device.createBuffer({ size: bytes, usage });
  const timer = createTimer(gpu);
  const ms: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const t = await timer.time(() => {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(src, 0, dst, 0, bytes);
      device.queue.submit([encoder.finish()]);
    });
    if (i > 0) ms.push(t);
  }
  timer.destroy();
  src.destroy();
  dst.destroy();
  return bytes / (median(ms) / 1e3);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
