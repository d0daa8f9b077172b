// runtime/wait.ts: what the smart wait learns. A run with the smart wait off (the main thread busy-polled) must not
// teach the estimate the sleeping runs use; a run with it on learns its wall time; a run whose work was done when
// the sleep ended shrinks the estimate instead of ratcheting it up. The last stretch of a long wait goes through the
// installed long-work wait (Node: napBetweenPolls, which blocks between Dawn's polls instead of spinning a core).
import { afterEach, describe, expect, it } from 'vitest';
import { type WaitStats, setAwaitLongWork, setSmartWait, submitted, waitFor } from '../runtime/wait.js';
import { napBetweenPolls, nodeGpu } from '../tools/node/gpu.js';

const after = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('smart wait estimate', () => {
  afterEach(() => setSmartWait(true));

  it('learns from runs with the smart wait on, not from runs with it off', async () => {
    const stats: WaitStats = { expectedMs: 0 };
    setSmartWait(false);
    await waitFor(submitted(stats), after(30));
    expect(stats.expectedMs).toBe(0);
    setSmartWait(true);
    const ms = await waitFor(submitted(stats), after(30));
    expect(ms).toBeGreaterThanOrEqual(25);
    expect(stats.expectedMs).toBeCloseTo(ms, 5); // the first sample is the estimate
  });

  it('shrinks the estimate when the work was done before the sleep ended', async () => {
    const stats: WaitStats = { expectedMs: 40 };
    await waitFor(submitted(stats), () => Promise.resolve());
    expect(stats.expectedMs).toBeCloseTo(36, 5);
  });

  it('does not learn from a run that pays pipeline compilation', async () => {
    const stats: WaitStats = { expectedMs: 0 };
    await waitFor(submitted(stats, false), after(20));
    expect(stats.expectedMs).toBe(0);
  });
});

describe('the last stretch of a long wait', () => {
  afterEach(() => setAwaitLongWork(undefined));

  it('goes through the installed wait when the work was long enough to sleep through, and only then', async () => {
    const seen: string[] = [];
    setAwaitLongWork((done) => {
      seen.push('long');
      return done;
    });
    await waitFor(submitted({ expectedMs: 20 }), after(25)); // slept first: the long-work wait finishes it
    await waitFor(submitted({ expectedMs: 1 }), after(5)); // too short to sleep: a plain await
    expect(seen).toEqual(['long']);
  });

  it('napBetweenPolls settles as the GPU promise does, without running ahead of it', async () => {
    const t0 = performance.now();
    await expect(napBetweenPolls(new Promise((resolve) => setTimeout(() => resolve(7), 20)))).resolves.toBe(7);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
    await expect(napBetweenPolls(Promise.reject(new Error('device lost')))).rejects.toThrow('device lost');
  });

  it('nodeGpu installs it on a software adapter only: the event loop turns about once a millisecond there, freely on a GPU', async () => {
    setAwaitLongWork(undefined);
    const fresh = await nodeGpu({ profile: 'auto' }); // a fresh (uncached) device: the adapter installs the nap again
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setTimeout(() => setImmediate(count), 6); // after the ~3.4 ms sleep: count turns during the long-work wait only
    await waitFor(submitted({ expectedMs: 4 }), after(40));
    counting = false;
    fresh.device.destroy();
    expect(turns).toBeGreaterThan(0);
    // a free event loop (the plain await a GPU keeps) turns thousands of times in 34 ms
    if (fresh.isSoftware) expect(turns).toBeLessThan(300);
    else expect(turns).toBeGreaterThan(300);
  });
});
