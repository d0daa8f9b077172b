// runtime/wait.ts: what the smart wait learns. A run with the smart wait off (the main thread busy-polled) must not
// teach the estimate the sleeping runs use; a run with it on learns its wall time; a run whose work was done when
// the sleep ended shrinks the estimate instead of ratcheting it up.
import { afterEach, describe, expect, it } from 'vitest';
import { type WaitStats, setSmartWait, submitted, waitFor } from '../runtime/wait.js';

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
