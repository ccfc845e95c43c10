/** Upper bounds in seconds: sub-millisecond dispatch up to tasks parked for an hour. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600,
] as const;

/** Where a latency is recorded: one labelled child of a prom-client histogram. */
export interface Histogram {
  /** Records one observation, in seconds. */
  observe(seconds: number): void;
}
