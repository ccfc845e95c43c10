/**
 * A first-come first-served async mutex: `run` calls wait for each other. The daemon serializes
 * dispatch with it in-process; the store's compare-and-set covers other processes.
 */
export class AsyncMutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier `run` has settled; resolves or rejects as `fn` does. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => {});
    return result;
  }
}
