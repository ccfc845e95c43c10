/**
 * One `run` at a time per key, first come first served; different keys run side by side. The
 * spawn service keys it by jail: two requests for one jail must not interleave their steps (both
 * would see it absent and race to create it), while different jails need not wait for each other.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier `run` with `key` has settled; resolves or rejects as `fn` does. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => {});
    this.#tails.set(key, tail);
    // Forget the key once nothing is queued behind this run, so the map does not grow forever.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** How many keys have a run in progress or queued (for tests). */
  get size(): number {
    return this.#tails.size;
  }
}
