import { describe, expect, it } from 'vitest';
import { scrubSecrets } from './scrub-secrets.js';

describe('scrubSecrets', () => {
  it('replaces every occurrence of each secret, longest first, and ignores empty ones', () => {
    expect(scrubSecrets('a=abc b=abcdef abc', ['abc', 'abcdef', '', undefined])).toBe(
      'a=[redacted] b=[redacted] [redacted]',
    );
    expect(scrubSecrets('nothing here', ['secret'])).toBe('nothing here');
  });
});
