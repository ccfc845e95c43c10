import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 7 * 86_400_000],
    ['45', 45_000],
    [' 10s ', 10_000],
    ['0', 0],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '-1s', '1w', '1 s', 'soon', '1e3', '0x10', '30 m'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats what it parses', () => {
    for (const ms of [250, 1500, 30_000, 120_000, 3_600_000, 86_400_000, 90_000_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
