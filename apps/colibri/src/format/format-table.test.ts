import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, formatFields, formatJsonValue, formatTable } from './format-table.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart without trailing blanks', () => {
    expect(
      formatTable(
        ['ID', 'NAME', 'TAGS'],
        [
          ['1', 'domedog', 'linux,ffmpeg'],
          ['22', 'osa', ''],
        ],
      ),
    ).toBe(['ID  NAME     TAGS', '1   domedog  linux,ffmpeg', '22  osa'].join('\n'));
  });
});

describe('formatFields', () => {
  it('aligns labels', () => {
    expect(
      formatFields([
        ['task', 'abc'],
        ['priority', '0'],
      ]),
    ).toBe('task      abc\npriority  0');
  });
});

describe('formatAge / formatDuration / formatJsonValue', () => {
  const now = new Date('2026-06-19T12:00:00.000Z');
  it('says how long ago', () => {
    expect(formatAge(null, now)).toBe('never');
    expect(formatAge('2026-06-19T11:59:48.000Z', now)).toBe('12s ago');
    expect(formatAge('2026-06-19T11:55:00.000Z', now)).toBe('5m ago');
    expect(formatAge('2026-06-19T09:00:00.000Z', now)).toBe('3h ago');
    expect(formatAge('2026-06-17T12:00:00.000Z', now)).toBe('2d ago');
    expect(formatAge('2026-06-19T12:00:05.000Z', now)).toBe('0s ago'); // clock skew: never negative
    expect(formatAge('garbage', now)).toBe('garbage');
  });

  it('formats durations coarsely', () => {
    expect(formatDuration(7)).toBe('7s');
    expect(formatDuration(366)).toBe('6m 6s');
    expect(formatDuration(3 * 3600 + 4 * 60)).toBe('3h 4m');
    expect(formatDuration(86400 + 7200)).toBe('1d 2h');
  });

  it('prints JSON on one line, - when absent', () => {
    expect(formatJsonValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(formatJsonValue(null)).toBe('-');
    expect(formatJsonValue(undefined)).toBe('-');
  });
});
