// Waiting for the GPU without stealing the CPU. While a mapAsync/onSubmittedWorkDone promise is pending,
// Dawn's Node binding busy-polls the main thread; on a 2-core machine running lavapipe that takes a core
// from the rasteriser (a 1024³ GEMM went 108 ms → 72 ms when the main thread slept instead). So we sleep
// for most of the expected time first and only then await. The expectation is learnt per workload.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitStats {
  /** Exponential moving average of submit→done wall time, ms. */
  expectedMs: number;
}

/** Sleeping only pays for long work; short work is dominated by latency. */
const MIN_SLEEP_MS = 3;
const SLEEP_FRACTION = 0.85;

export let smartWaitEnabled = true;
export function setSmartWait(enabled: boolean): void {
  smartWaitEnabled = enabled;
}

export async function waitForGpu(device: GPUDevice, stats: WaitStats): Promise<number> {
  const t0 = performance.now();
  if (smartWaitEnabled && stats.expectedMs >= MIN_SLEEP_MS) await sleep(stats.expectedMs * SLEEP_FRACTION);
  await device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  stats.expectedMs = stats.expectedMs === 0 ? ms : 0.7 * stats.expectedMs + 0.3 * ms;
  return ms;
}
