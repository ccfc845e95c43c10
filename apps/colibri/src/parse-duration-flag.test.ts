import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseDurationFlag, parseExpireAfter } from './parse-duration-flag.js';

describe('parseDurationFlag', () => {
  it.each([
    ['30m', 1800],
    ['1s', 1],
    ['1.5s', 2],
    ['7d', 604_800],
    ['90', 90],
  ])('%j is %d seconds', (text, seconds) => {
    expect(parseDurationFlag('older-than', text)).toBe(seconds);
  });

  it.each(['0', '0s', '500ms', 'soon', '-1m', '30 m', '', '11000d'])(
    '%j is refused, naming the flag',
    (text) => {
      let caught: unknown;
      try {
        parseDurationFlag('expire-after', text);
      } catch (error) {
        caught = error;
      }
      expect(isColibriError(caught, 'COLIBRI_INVALID_INPUT')).toBe(true);
      expect((caught as Error).message).toMatch(/^--expire-after /);
    },
  );

  it('--expire-after never is null (no expiry, whatever the daemon default)', () => {
    expect(parseExpireAfter('never')).toBeNull();
    expect(parseExpireAfter('2h')).toBe(7200);
  });
});
