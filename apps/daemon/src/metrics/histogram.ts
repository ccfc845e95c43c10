/** Upper bounds in seconds: sub-millisecond dispatch up to tasks parked for an hour. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600,
] as const;

/** A Prometheus histogram with fixed buckets (cumulative on output). */
export class Histogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[] = LATENCY_BUCKETS) {
    this.#bounds = bounds;
    this.#counts = bounds.map(() => 0);
  }

  /** Records one observation (seconds). */
  observe(value: number): void {
    const v = Math.max(0, value);
    this.#sum += v;
    this.#count++;
    const at = this.#bounds.findIndex((bound) => v <= bound);
    if (at >= 0) this.#counts[at]!++;
  }

  /** The exposition lines for `name` with `labels` (e.g. `stage="assign"`). */
  lines(name: string, labels: string): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.#bounds.forEach((bound, i) => {
      cumulative += this.#counts[i]!;
      out.push(`${name}_bucket{${labels},le="${bound}"} ${cumulative}`);
    });
    out.push(`${name}_bucket{${labels},le="+Inf"} ${this.#count}`);
    out.push(`${name}_sum{${labels}} ${this.#sum}`);
    out.push(`${name}_count{${labels}} ${this.#count}`);
    return out;
  }
}
