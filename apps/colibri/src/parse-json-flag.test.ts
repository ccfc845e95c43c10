import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseJsonFlag } from './parse-json-flag.js';

describe('parseJsonFlag', () => {
  it('parses any JSON value', () => {
    expect(parseJsonFlag('payload', '{"url":"https://example.org"}')).toEqual({ url: 'https://example.org' });
    expect(parseJsonFlag('result', '42')).toBe(42);
    expect(parseJsonFlag('result', 'null')).toBeNull();
  });

  it('fails with COLIBRI_INVALID_INPUT naming the flag', () => {
    try {
      parseJsonFlag('payload', '{url: x}');
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_INVALID_INPUT')).toBe(true);
      expect((error as Error).message).toMatch(/^--payload is not valid JSON \(/);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
