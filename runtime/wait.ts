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

/** An await shorter than this means the GPU had finished while we slept. */
const ALREADY_DONE_MS = 2;

export async function waitForGpu(device: GPUDevice, stats: WaitStats): Promise<number> {
  const t0 = performance.now();
  const sleeping = smartWaitEnabled && stats.expectedMs >= MIN_SLEEP_MS;
  if (sleeping) await sleep(stats.expectedMs * SLEEP_FRACTION);
  const t1 = performance.now();
  await device.queue.onSubmittedWorkDone();
  const t2 = performance.now();
  const ms = t2 - t0;
  // Learn the GPU's time, not our sleep: when the work was already done after the sleep, the wall time only
  // bounds it from above (learning it would ratchet the estimate up to ~overhead / (1 − SLEEP_FRACTION)), so
  // shrink the estimate instead; otherwise the wall time is the GPU time plus a little latency.
  if (sleeping && t2 - t1 < ALREADY_DONE_MS) stats.expectedMs *= 0.9;
  else stats.expectedMs = stats.expectedMs === 0 ? ms : 0.7 * stats.expectedMs + 0.3 * ms;
  return ms;
}
