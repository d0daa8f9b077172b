// The pushed stream on plain promises: items in order then the result, a producer that runs without a reader,
// and consumers that stop early (break, return() before the first read) stopping the producer.
import { describe, expect, it } from 'vitest';
import { pushedStream } from '../model/pushed_stream.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('pushed stream', () => {
  it('yields what the producer pushes, then returns its result', async () => {
    const s = pushedStream<number, string>(async (push) => {
      push(1);
      await tick();
      push(2);
      return 'done';
    });
    const got: number[] = [];
    let step = await s.next();
    while (!step.done) {
      got.push(step.value);
      step = await s.next();
    }
    expect(got).toEqual([1, 2]);
    expect(step.value).toBe('done');
    expect((await s.next()).done).toBe(true);
  });

  it('the producer runs without a reader, and its error reaches the reader after the items', async () => {
    let ran = false;
    const s = pushedStream<number, void>(async (push) => {
      push(7);
      ran = true;
      throw new Error('producer failed');
    });
    await tick();
    expect(ran).toBe(true);
    expect(await s.next()).toEqual({ done: false, value: 7 });
    await expect(s.next()).rejects.toThrow('producer failed');
  });

  it('break aborts the producer and waits for it to stop', async () => {
    let stopped = false;
    const s = pushedStream<number, void>(async (push, signal) => {
      try {
        for (let i = 0; ; i++) {
          signal.throwIfAborted();
          push(i);
          await tick();
        }
      } finally {
        stopped = true;
      }
    });
    const got: number[] = [];
    for await (const x of s) {
      got.push(x);
      if (got.length === 2) break;
    }
    expect(got).toEqual([0, 1]);
    expect(stopped).toBe(true);
  });

  it('return() before the first read also stops the producer', async () => {
    let aborted = false;
    const s = pushedStream<number, void>(async (_push, signal) => {
      await new Promise((r) => signal.addEventListener('abort', r));
      aborted = true;
    });
    await s.return(undefined);
    expect(aborted).toBe(true);
    expect((await s.next()).done).toBe(true);
  });
});
