import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAGS } from './arbitrary-fleet.test-helper.js';
import { capabilityMatchScore, extraTagCount } from './capability-match-score.js';
import { DOMEDOG } from './seed-hosts.test-helper.js';

const tags = fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: TAGS.length });

describe('capabilityMatchScore', () => {
  it('is 1 for an exact fit and lower with every extra tag', () => {
    expect(capabilityMatchScore(['linux'], ['linux'])).toBe(1);
    expect(capabilityMatchScore(['linux'], ['linux', 'go'])).toBe(1 / 2);
    expect(capabilityMatchScore(['image-render'], DOMEDOG.capabilities)).toBe(1 / 7);
  });

  it('is -1 when a required tag is missing, compared by exact string', () => {
    expect(capabilityMatchScore(['screenshot'], DOMEDOG.capabilities)).toBe(-1);
    expect(capabilityMatchScore(['python3'], ['python3.12'])).toBe(-1);
    expect(capabilityMatchScore(['Linux'], ['linux'])).toBe(-1);
    expect(capabilityMatchScore(['linux'], [])).toBe(-1);
  });

  it('lets empty requirements match anything, even an agent with no tags', () => {
    expect(capabilityMatchScore([], [])).toBe(1);
    expect(capabilityMatchScore([], ['linux', 'gpu'])).toBe(1 / 3);
  });

  it('counts repeated tags once', () => {
    expect(capabilityMatchScore(['linux', 'linux'], ['linux', 'go', 'go'])).toBe(1 / 2);
  });

  it('is -1 exactly when a tag is missing, else in (0, 1] (property)', () => {
    fc.assert(
      fc.property(tags, tags, (required, offered) => {
        const score = capabilityMatchScore(required, offered);
        const missing = required.some((t) => !offered.includes(t));
        if (missing) expect(score).toBe(-1);
        else {
          expect(score).toBeGreaterThan(0);
          expect(score).toBeLessThanOrEqual(1);
          expect(score === 1).toBe(offered.every((t) => required.includes(t)));
        }
      }),
    );
  });

  it('an extra offered tag lowers the score; an extra required tag never raises it (property)', () => {
    fc.assert(
      fc.property(tags, tags, fc.constantFrom(...TAGS), (required, offered, tag) => {
        const before = capabilityMatchScore(required, offered);
        if (before > 0 && !offered.includes(tag) && !required.includes(tag)) {
          expect(capabilityMatchScore(required, [...offered, tag])).toBeLessThan(before);
        }
        if (!required.includes(tag)) {
          const stricter = capabilityMatchScore([...required, tag], offered);
          if (before < 0) expect(stricter).toBe(-1);
        }
      }),
    );
  });

  it('extraTagCount agrees with the score', () => {
    expect(extraTagCount(new Set(['linux']), ['linux', 'go', 'rust'])).toBe(2);
    expect(extraTagCount(new Set(['gpu']), ['linux'])).toBe(-1);
  });
});
