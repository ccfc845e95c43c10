/** What changed, as far as the board cares: task or agent rows, a tenant, or only a heartbeat. */
export type BoardChangeKind = 'hive' | 'heartbeat';

/** Timing of {@link BoardChanges}. */
export interface BoardChangesOptions {
  /** Changes within this window reach listeners as one. Default 100 ms. */
  readonly coalesceMs?: number;
  /** Heartbeats alone wake listeners at most this often. Default 5 s. */
  readonly heartbeatEveryMs?: number;
}

/**
 * The board's change notification: told of every committed write this colibrid makes (through
 * {@link notifyingStore}) and of every change other daemons make (the store's change feed), it
 * tells each open board "something changed" — coalesced, so a burst of writes costs one refresh,
 * and heartbeats (which only move a "last seen" column) at most every few seconds.
 */
export class BoardChanges {
  readonly #listeners = new Set<() => void>();
  readonly #coalesceMs: number;
  readonly #heartbeatEveryMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastHeartbeatFlush = 0;
  #closed = false;

  constructor(options: BoardChangesOptions = {}) {
    this.#coalesceMs = options.coalesceMs ?? 100;
    this.#heartbeatEveryMs = options.heartbeatEveryMs ?? 5000;
  }

  /** Something was committed (never throws, never waits). */
  notify(kind: BoardChangeKind): void {
    if (this.#closed || this.#listeners.size === 0) return;
    if (kind === 'heartbeat') {
      const now = Date.now();
      if (now - this.#lastHeartbeatFlush < this.#heartbeatEveryMs) return;
      this.#lastHeartbeatFlush = now;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      for (const listener of [...this.#listeners]) listener();
    }, this.#coalesceMs);
  }

  /** Calls `listener` after each (coalesced) change until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many boards listen. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Stops notifying (shutdown). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }
}
