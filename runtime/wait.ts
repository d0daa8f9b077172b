// Waiting for the GPU without stealing the CPU. While a mapAsync/onSubmittedWorkDone promise is pending,
// Dawn's Node binding busy-polls the main thread; on a 2-core machine running lavapipe that takes a core
// from the rasteriser (a 1024³ GEMM went 108 ms → 72 ms when the main thread slept instead). So we sleep
// for most of the expected time first and only then await. The expectation is learnt per workload.
//
// Several submissions of one workload may be in flight (a decode step is submitted before the previous one's
// token is read back): each starts on the GPU when the one before it ends, so a submission's expected end is
// max(submit time, previous expected end) + expected time, and what is learnt is the time from that start.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitStats {
  /** Exponential moving average of one submission's GPU time (start → done), ms. */
  expectedMs: number;
  /** When the last submission of this workload is expected to end / ended (performance.now() ms). */
  busyUntil?: number;
}

/** Sleeping only pays for long work; short work is dominated by latency. */
const MIN_SLEEP_MS = 3;
const SLEEP_FRACTION = 0.85;

export let smartWaitEnabled = true;

/**
 * How the last stretch of a long wait is spent. The default awaits the GPU promise, which Dawn's Node binding
 * fulfils by polling on the main thread without pause (setImmediate after setImmediate): on a CPU rasteriser that
 * takes a core for as long as the work overruns the sleep. Node's adapter (tools/node/gpu.ts) installs one that
 * blocks the thread between polls instead (napBetweenPolls) when the adapter is software; GPUs and browsers keep the
 * default (a browser's main thread may not block, and its WebGPU does not poll on it).
 */
export type AwaitGpu = (done: Promise<unknown>) => Promise<unknown>;
const plainAwait: AwaitGpu = (done) => done;
let awaitLongWork = plainAwait;
export function setAwaitLongWork(wait: AwaitGpu | undefined): void {
  awaitLongWork = wait ?? plainAwait;
}
export function setSmartWait(enabled: boolean): void {
  smartWaitEnabled = enabled;
}

/** An await shorter than this means the GPU had finished while we slept. */
const ALREADY_DONE_MS = 2;

/** A submission's place in its workload's timeline; take it right after queue.submit. */
export interface Submission {
  readonly stats: WaitStats;
  /** Expected GPU start: the submit time, or the end of the submission queued before it. */
  readonly start: number;
  /** Whether this submission may teach the estimate (not a run that pays pipeline compilation). */
  readonly learn: boolean;
}

export function submitted(stats: WaitStats, learn = true): Submission {
  const now = performance.now();
  const start = Math.max(now, stats.busyUntil ?? 0);
  stats.busyUntil = start + stats.expectedMs;
  return { stats, start, learn };
}

/**
 * Sleeps until shortly before the submission is expected to end, then awaits `done` (the readback's mapAsync,
 * or onSubmittedWorkDone when nothing is read: one round trip, never two). Returns the submission's wall ms.
 */
export async function waitFor(s: Submission, done: () => Promise<unknown>): Promise<number> {
  const { stats } = s;
  const sleepMs = s.start + stats.expectedMs * SLEEP_FRACTION - performance.now();
  const sleeping = smartWaitEnabled && s.learn && stats.expectedMs >= MIN_SLEEP_MS && sleepMs > 0;
  if (sleeping) await sleep(sleepMs);
  const t1 = performance.now();
  await (sleeping ? awaitLongWork(done()) : done());
  const t2 = performance.now();
  const ms = t2 - s.start;
  // With the smart wait off the main thread busy-polled a core away from a CPU rasteriser, so the wall time is not
  // the time a sleeping wait sees: learning it would make the next smart run oversleep (the bench alternates both).
  if (!s.learn || !smartWaitEnabled) {
    stats.busyUntil = t2;
    return ms;
  }
  // Learn the GPU's time, not our sleep: when the work was already done after the sleep, the wall time only
  // bounds it from above (learning it would ratchet the estimate up to ~overhead / (1 − SLEEP_FRACTION)), so
  // shrink the estimate instead; otherwise the wall time is the GPU time plus a little latency.
  if (sleeping && t2 - t1 < ALREADY_DONE_MS) stats.expectedMs *= 0.9;
  else stats.expectedMs = stats.expectedMs === 0 ? ms : 0.7 * stats.expectedMs + 0.3 * ms;
  if ((stats.busyUntil ?? 0) < t2) stats.busyUntil = t2;
  return ms;
}

/** Waits for everything submitted so far on `device` (timers, profiling): sleep by `stats`, then one await. */
export function waitForGpu(device: GPUDevice, stats: WaitStats): Promise<number> {
  return waitFor(submitted(stats), () => device.queue.onSubmittedWorkDone());
}
