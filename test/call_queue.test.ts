// The per-model call queue and the pushed stream, on plain promises: arrival order, one call at a time,
// cancellation while waiting and while running, closing, and streams whose consumers stop early.
import { describe, expect, it } from 'vitest';
import { createCallQueue } from '../model/call_queue.js';
import { pushedStream } from '../model/pushed_stream.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

/** A task that logs its start and end and waits for `release` to be called. */
function gatedTask(log: string[], name: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const task = async (signal: AbortSignal) => {
    log.push(`start ${name}`);
    await Promise.race([gate, new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))]);
    log.push(`end ${name}`);
    return name;
  };
  return { task, release: () => release() };
}

describe('call queue', () => {
  it('runs calls one at a time in arrival order', async () => {
    const q = createCallQueue();
    const log: string[] = [];
    const a = gatedTask(log, 'a'), b = gatedTask(log, 'b'), c = gatedTask(log, 'c');
    const results = [q.run(a.task), q.run(b.task), q.run(c.task)];
    await tick();
    expect(log).toEqual(['start a']);
    expect(q.pending).toBe(3);
    c.release();
    b.release();
    await tick();
    expect(log).toEqual(['start a']); // b and c are done with their gates but have not had their turn
    a.release();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.pending).toBe(0);
  });

  it('a failing call hands the turn on', async () => {
    const q = createCallQueue();
    const failed = q.run(async () => {
      throw new Error('boom');
    });
    const next = q.run(async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });

  it('a call aborted while waiting never runs; one aborted while running sees its signal', async () => {
    const q = createCallQueue();
    const log: string[] = [];
    const a = gatedTask(log, 'a'), b = gatedTask(log, 'b');
    const running = new AbortController(), waiting = new AbortController();
    const pa = q.run(a.task, running.signal);
    const pb = q.run(b.task, waiting.signal);
    const pc = q.run(async () => 'c');
    await tick();
    waiting.abort(new Error('b cancelled'));
    await expect(pb).rejects.toThrow('b cancelled');
    running.abort(new Error('a cancelled'));
    await expect(pa).rejects.toThrow('a cancelled');
    expect(await pc).toBe('c');
    expect(log).toEqual(['start a']);
    await expect(q.run(async () => 1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('close rejects waiting and later calls, aborts the running one, and resolves when it settled', async () => {
    const q = createCallQueue();
    const log: string[] = [];
    const a = gatedTask(log, 'a'), b = gatedTask(log, 'b');
    const pa = q.run(a.task), pb = q.run(b.task);
    const settled = [pa, pb].map((p) => p.catch((e: Error) => e.message));
    await tick();
    await q.close(new Error('closed'));
    expect(await Promise.all(settled)).toEqual(['closed', 'closed']);
    expect(log).toEqual(['start a']);
    await expect(q.run(async () => 1)).rejects.toThrow('closed');
    expect(q.pending).toBe(0);
  });
});

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
