// One model, one GPU timeline: the decode graphs, their input and readback buffers and the learnt waits are
// shared by every call, so calls take turns. A FIFO of turns: each call waits for the one before it, runs
// alone, and hands the turn on when it settles. Closing rejects the waiting calls and aborts the running one
// (it stops at its next step boundary), then resolves once nothing runs. Browser-safe.

export interface CallQueue {
  /**
   * Runs `task` when every call queued before it has settled. The task gets a signal that fires when the queue
   * is closed or the caller's own `signal` aborts; a call aborted while still waiting never runs.
   */
  run<T>(task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Rejects waiting calls and new ones with `reason`, aborts the running call; resolves when it has settled. */
  close(reason: Error): Promise<void>;
  /** Calls running or waiting. */
  readonly pending: number;
}

interface Waiter {
  start(): void;
  fail(reason: unknown): void;
}

export function createCallQueue(): CallQueue {
  const waiting: Waiter[] = [];
  let running: { controller: AbortController; settled: Promise<void> } | undefined;
  let closedWith: Error | undefined;

  const next = () => {
    running = undefined;
    waiting.shift()?.start();
  };

  return {
    get pending() {
      return waiting.length + (running ? 1 : 0);
    },

    run<T>(task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (closedWith) return Promise.reject(closedWith);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<T>((resolve, reject) => {
        const onCallerAbort = () => {
          const at = waiting.indexOf(waiter);
          if (at >= 0) {
            waiting.splice(at, 1);
            reject(signal!.reason);
          }
        };
        const waiter: Waiter = {
          start() {
            const controller = new AbortController();
            const forward = () => controller.abort(signal!.reason);
            signal?.addEventListener('abort', forward, { once: true });
            signal?.removeEventListener('abort', onCallerAbort);
            // The turn is taken before the task starts, so a call made from inside the task's first
            // synchronous part queues behind it.
            const turn = { controller, settled: Promise.resolve() };
            running = turn;
            turn.settled = (async () => {
              try {
                resolve(await task(controller.signal));
              } catch (e) {
                reject(e);
              } finally {
                signal?.removeEventListener('abort', forward);
              }
            })();
            void turn.settled.then(next);
          },
          fail(reason) {
            signal?.removeEventListener('abort', onCallerAbort);
            reject(reason);
          },
        };
        signal?.addEventListener('abort', onCallerAbort, { once: true });
        if (running || waiting.length) waiting.push(waiter);
        else waiter.start();
      });
    },

    async close(reason: Error): Promise<void> {
      closedWith ??= reason;
      for (const w of waiting.splice(0)) w.fail(closedWith);
      if (running) {
        running.controller.abort(closedWith);
        await running.settled;
      }
    },
  };
}
