import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.js';

describe('createBackoff', () => {
  it('doubles the ceiling up to the cap, each delay between half the ceiling and the ceiling', () => {
    const lowest = createBackoff({ initialMs: 200, maxMs: 10_000, random: () => 0 });
    const highest = createBackoff({ initialMs: 200, maxMs: 10_000, random: () => 0.999_999 });
    const low = Array.from({ length: 9 }, () => lowest.next());
    const high = Array.from({ length: 9 }, () => highest.next());
    expect(low).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(high).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });

  it('reset starts again from the first ceiling', () => {
    const backoff = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    backoff.next();
    backoff.next();
    expect(backoff.next()).toBe(200);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it('never overflows after very many failures', () => {
    const backoff = createBackoff({ random: () => 0.5 });
    for (let i = 0; i < 5000; i++) backoff.next();
    expect(backoff.next()).toBe(7500);
  });
});
