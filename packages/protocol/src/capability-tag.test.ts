import { isColibriError } from '@colibri/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITY_TAG_PATTERN, parseCapabilities } from './capability-tag.js';

function errorOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseCapabilities', () => {
  it('accepts the seed vocabulary and keeps order', () => {
    const tags = ['linux', 'python3.12', 'image-render', 'node24', 'c++', 'rc.d', 'free_bsd'];
    expect(parseCapabilities(tags)).toEqual(tags);
    expect(Object.isFrozen(parseCapabilities(tags))).toBe(true);
  });

  it('accepts an empty list (a task that any online agent may take)', () => {
    expect(parseCapabilities([])).toEqual([]);
  });

  it.each([
    ['Linux', 'did you mean "linux"'],
    ['-linux', 'not a valid capability tag'],
    ['', 'not a valid capability tag'],
    ['image render', 'not a valid capability tag'],
    ['a'.repeat(65), 'not a valid capability tag'],
  ])('rejects %j naming the tag', (tag, hint) => {
    const error = errorOf(() => parseCapabilities(['linux', tag]));
    expect(isColibriError(error, 'COLIBRI_INVALID_CAPABILITY')).toBe(true);
    expect((error as Error).message).toContain('capabilities[1]');
    expect((error as Error).message).toContain(hint);
  });

  it('rejects duplicates naming the duplicate', () => {
    const error = errorOf(() => parseCapabilities(['linux', 'gpu', 'linux']));
    expect((error as Error).message).toBe('capabilities[2]: "linux" is listed twice; list each tag once');
  });

  it('rejects non-lists and non-strings', () => {
    expect((errorOf(() => parseCapabilities('linux,gpu')) as Error).message).toContain('must be a list');
    expect((errorOf(() => parseCapabilities([42])) as Error).message).toContain('number is not a valid');
  });

  it('accepts every string the pattern accepts, rejects every other (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (tag) => {
        const ok = CAPABILITY_TAG_PATTERN.test(tag);
        let accepted = true;
        try {
          parseCapabilities([tag]);
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(ok);
      }),
    );
  });
});
