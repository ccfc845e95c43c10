import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './reconnect-delay.js';

describe('reconnectDelayMs', () => {
  const bounds = { initialMs: 100, maxMs: 5000 };

  it('doubles from the initial wait up to the ceiling', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => reconnectDelayMs(n, bounds, top))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    expect(reconnectDelayMs(10_000, bounds, top)).toBe(5000);
  });

  it('jitters each wait into its upper half', () => {
    expect(reconnectDelayMs(2, bounds, () => 0)).toBe(200);
    expect(reconnectDelayMs(2, bounds, () => 0.5)).toBe(300);
    expect(reconnectDelayMs(-3, bounds, () => 0)).toBe(50);
  });
});
