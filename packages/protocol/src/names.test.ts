import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseAgentName, parseTenantName } from './names.js';

describe('names', () => {
  it.each(['acme', 'tenant-42', 'a', 'x'.repeat(32)])('accepts tenant %j', (name) => {
    expect(parseTenantName(name)).toBe(name);
  });

  it.each([
    '',
    'Acme',
    '42',
    '9lives',
    '../etc',
    'a/b',
    'a.b',
    'a b',
    'all',
    '14-release',
    'foo-release',
    'trailing-',
    'x'.repeat(33),
    'nul\0',
  ])('rejects tenant %j with COLIBRI_INVALID_NAME', (name) => {
    try {
      parseTenantName(name);
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_INVALID_NAME')).toBe(true);
      expect((error as Error).message).toContain('tenant name');
    }
  });

  it('agent names allow 63 characters', () => {
    expect(parseAgentName(`a${'b'.repeat(62)}`)).toHaveLength(63);
    expect(() => parseAgentName(`a${'b'.repeat(63)}`)).toThrow(/agent name/);
    expect(() => parseAgentName(7)).toThrow(/must be a string/);
  });
});
