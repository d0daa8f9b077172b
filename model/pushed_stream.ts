// An async generator fed by a producer that runs on its own: the producer pushes items as it makes them and
// ends with a result or an error; the consumer pulls at its own pace. The producer never waits for the
// consumer, so a consumer that stops pulling without closing the iterator holds nothing back (the producer
// runs to its end and releases what it holds). Closing the iterator (`break` in for-await, `return()`)
// aborts the producer and resolves once it has stopped. Browser-safe.

export interface Producer<T, R> {
  (push: (item: T) => void, signal: AbortSignal): Promise<R>;
}

/** Starts `produce` now; the returned generator yields what it pushes and returns what it resolves with. */
export function pushedStream<T, R>(produce: Producer<T, R>): AsyncGenerator<T, R, undefined> {
  const start = async (push: (item: T) => void, signal: AbortSignal) => produce(push, signal); // a throw becomes a rejection
  const items: T[] = [];
  let outcome: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  let wakers: (() => void)[] = [];
  const controller = new AbortController();
  const notify = () => {
    for (const wake of wakers) wake();
    wakers = [];
  };
  const settled = start((item) => {
    items.push(item);
    notify();
  }, controller.signal).then(
    (value) => ((outcome = { ok: true, value }), notify()),
    (error: unknown) => ((outcome = { ok: false, error }), notify()),
  );

  let finished = false;
  const stream = {
    async next(): Promise<IteratorResult<T, R>> {
      for (;;) {
        if (items.length) return { done: false, value: items.shift()! };
        if (finished) return { done: true, value: undefined as R };
        if (outcome) {
          finished = true;
          if (!outcome.ok) throw outcome.error;
          return { done: true, value: outcome.value };
        }
        await new Promise<void>((resolve) => wakers.push(resolve));
      }
    },
    async return(value?: R | PromiseLike<R>): Promise<IteratorResult<T, R>> {
      finished = true;
      items.length = 0;
      controller.abort(new Error('[stream] closed by its consumer'));
      await settled; // what the producer held is released when return() resolves
      return { done: true, value: (await value) as R };
    },
    async throw(error: unknown): Promise<IteratorResult<T, R>> {
      await stream.return();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  // `await using` support where the platform has it (Node ≥ 20.4, recent browsers).
  if (typeof Symbol.asyncDispose === 'symbol') Object.assign(stream, { [Symbol.asyncDispose]: () => stream.return() });
  return stream as AsyncGenerator<T, R, undefined>;
}
