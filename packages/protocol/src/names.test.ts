import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseAgentName, parseCollectionName, parseJailName, parseTenantName } from './names.js';

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

  it('jail names follow the tenant rule and say "jail name"', () => {
    expect(parseJailName('acme-2')).toBe('acme-2');
    for (const bad of ['../etc', 'all', 'Acme', 'x'.repeat(33), '7']) {
      expect(() => parseJailName(bad)).toThrow(/^jail name/);
    }
  });

  it.each(['acme', 'Tenants/Acme Corp', 'ü 💡 collection', 'x'.repeat(128), `${'💡'.repeat(128)}`])(
    'accepts collection %j',
    (name) => {
      expect(parseCollectionName(name)).toBe(name);
    },
  );

  it.each([
    ['', /empty or blank/],
    ['   ', /empty or blank/],
    ['x'.repeat(129), /at most 128/],
    ['tab\there', /control characters/],
    ['line\nbreak', /control characters/],
    ['nul\0', /control characters/],
    ['del\u007f', /control characters/],
    [42, /must be a string/],
  ])('rejects collection %j with COLIBRI_INVALID_NAME', (name, why) => {
    try {
      parseCollectionName(name);
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_INVALID_NAME')).toBe(true);
      expect((error as Error).message).toMatch(/^collection name/);
      expect((error as Error).message).toMatch(why);
    }
  });
});
