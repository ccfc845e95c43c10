/**
 * Many `shared` runs at once, or one `exclusive` run with none of them: the dispatcher lets
 * intakes wait for their (group) commits side by side, and makes a resync of the agents' loads
 * from the store wait until no intake's reservation is in flight (the store's count would not
 * have it yet, and overwriting the load with it would give an agent more tasks than its slots).
 * An exclusive run waiting closes the gate: new shared runs queue behind it, so it is not starved.
 */
export class SharedGate {
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  /** How many shared runs are in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Runs `fn` alongside other shared runs; starts in the same tick unless an exclusive run holds or waits for the gate. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#closed !== undefined) await this.#closed;
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#drained?.();
    }
  }

  /** Runs `fn` once every shared run in flight has settled, none starting meanwhile; one exclusive run at a time. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#closed !== undefined) await this.#closed;
    let open!: () => void;
    this.#closed = new Promise((resolve) => {
      open = resolve;
    });
    try {
      if (this.#inFlight > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      return await fn();
    } finally {
      this.#drained = undefined;
      this.#closed = undefined;
      open();
    }
  }
}
