/** Exponential backoff with jitter for reconnecting to the daemon. */
export interface Backoff {
  /** The delay before the next try, in ms; each call doubles the ceiling up to `maxMs`. */
  next(): number;
  /** Back to `initialMs` after a success. */
  reset(): void;
}

export interface BackoffOptions {
  /** The first ceiling, in ms. Default 200. */
  readonly initialMs?: number;
  /** The largest ceiling, in ms. Default 10 000. */
  readonly maxMs?: number;
  /** A number in [0, 1); injected so tests are deterministic. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * "Equal jitter": each delay is between half the current ceiling and the ceiling. Half keeps a
 * floor (no hot loop against a dead daemon); the random half spreads a fleet of agents that all
 * lost the daemon at the same moment, so they do not reconnect in one thundering herd.
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initialMs = options.initialMs ?? 200;
  const maxMs = options.maxMs ?? 10_000;
  const random = options.random ?? Math.random;
  let failures = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
      failures++;
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    },
    reset() {
      failures = 0;
    },
  };
}
