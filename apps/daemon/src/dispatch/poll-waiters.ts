/** One long poll waiting for its agent to be given a task. */
export interface Waiter {
  /** Resolves when woken, after `ms`, or on `wakeAll`, whichever is first. */
  until(ms: number): Promise<void>;
  /** Stops waiting (idempotent). */
  cancel(): void;
}

/**
 * The long polls waiting per agent. Register before reading the agent's tasks, then wait: an
 * assignment that lands in between still wakes the waiter, so no wake-up is lost.
 */
export class PollWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();
  #closed = false;

  /** How many long polls are waiting, over all agents. */
  get size(): number {
    let n = 0;
    for (const set of this.#waiting.values()) n += set.size;
    return n;
  }

  /** True once `wakeAll` ran for shutdown: new waits return at once. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A waiter for `agentId`, armed now. */
  register(agentId: string): Waiter {
    let woken = this.#closed;
    let wake: () => void = () => {};
    const signal = () => {
      woken = true;
      wake();
    };
    let set = this.#waiting.get(agentId);
    if (set === undefined) {
      set = new Set();
      this.#waiting.set(agentId, set);
    }
    set.add(signal);
    const cancel = () => {
      const current = this.#waiting.get(agentId);
      current?.delete(signal);
      if (current?.size === 0) this.#waiting.delete(agentId);
    };
    return {
      until: (ms) =>
        new Promise<void>((resolve) => {
          if (woken || ms <= 0) {
            resolve();
            return;
          }
          const timer = setTimeout(() => {
            wake = () => {};
            resolve();
          }, ms);
          wake = () => {
            clearTimeout(timer);
            wake = () => {};
            resolve();
          };
        }),
      cancel,
    };
  }

  /** Wakes every long poll of `agentId`. */
  wake(agentId: string): void {
    for (const signal of this.#waiting.get(agentId) ?? []) signal();
  }

  /**
   * Wakes every long poll once so that each reads the store again (the change feed may have
   * missed assignments while it reconnected); unlike `wakeAll`, later waits still wait.
   */
  recheckAll(): void {
    for (const set of this.#waiting.values()) for (const signal of set) signal();
  }

  /** Wakes every long poll, now and from now on (shutdown). */
  wakeAll(): void {
    this.#closed = true;
    for (const set of this.#waiting.values()) for (const signal of set) signal();
  }
}
