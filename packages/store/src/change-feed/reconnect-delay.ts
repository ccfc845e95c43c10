/** Bounds of the change feed's reconnect backoff. */
export interface BackoffBounds {
  /** The first wait. */
  readonly initialMs: number;
  /** No wait is longer. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffBounds = Object.freeze({ initialMs: 100, maxMs: 5000 });

/**
 * How long to wait before reconnect attempt `attempt` (0-based): doubling from `initialMs` up to
 * `maxMs`, then scaled into [50%, 100%] by `random` so that several daemons that lost the same
 * server do not all knock again in the same instant.
 */
export function reconnectDelayMs(attempt: number, bounds: BackoffBounds, random: () => number): number {
  const ceiling = Math.min(bounds.maxMs, bounds.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}
