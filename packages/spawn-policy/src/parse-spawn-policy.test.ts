import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseSpawnPolicy } from './parse-spawn-policy.js';
import { DEFAULT_SPAWN_POLICY } from './spawn-policy.js';

function failure(input: unknown): { message: string; details: Record<string, unknown> } {
  try {
    parseSpawnPolicy(input, '/etc/colibri/spawn-policy.yaml');
  } catch (error) {
    if (isColibriError(error, 'COLIBRI_INVALID_INPUT')) return error;
    throw error;
  }
  throw new Error('expected COLIBRI_INVALID_INPUT');
}

describe('parseSpawnPolicy', () => {
  it('accepts a full policy and freezes it', () => {
    const policy = parseSpawnPolicy(
      {
        maxChildren: 2,
        maxDepth: 1,
        allowedTenants: ['acme'],
        allowSharedLane: false,
        allowedCapabilities: ['linux', 'ffmpeg'],
      },
      'p.json',
    );
    expect(policy).toEqual({
      maxChildren: 2,
      maxDepth: 1,
      allowedTenants: ['acme'],
      allowSharedLane: false,
      allowedCapabilities: ['linux', 'ffmpeg'],
    });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.allowedTenants)).toBe(true);
  });

  it('a field left out takes the forbidding default', () => {
    expect(parseSpawnPolicy({}, 'p.json')).toEqual(DEFAULT_SPAWN_POLICY);
    expect(parseSpawnPolicy({ maxChildren: 1 }, 'p.json')).toEqual({
      ...DEFAULT_SPAWN_POLICY,
      maxChildren: 1,
    });
  });

  it('names the file and every offending field, a misspelt one included', () => {
    const error = failure({
      maxChildern: 2,
      maxDepth: -1,
      allowedTenants: ['acme', '../etc', 'acme'],
      allowSharedLane: 'yes',
      allowedCapabilities: ['Linux'],
    });
    expect(error.message).toMatch(/^spawn policy \/etc\/colibri\/spawn-policy\.yaml: /);
    expect(error.message).toContain('maxChildern: unknown field');
    expect(error.message).toContain('maxDepth: maxDepth must be at least 0');
    expect(error.message).toMatch(/allowedTenants\.1: .*tenant/);
    expect(error.message).toContain('allowSharedLane: allowSharedLane must be true or false');
    expect(error.message).toMatch(/allowedCapabilities: .*"linux"/);
    expect(error.details.source).toBe('/etc/colibri/spawn-policy.yaml');
  });

  it('refuses a document that is not a mapping, and fractional counts', () => {
    expect(failure(null).message).toMatch(/must be a mapping/);
    expect(failure(['acme']).message).toMatch(/must be a mapping/);
    expect(failure({ maxChildren: 1.5 }).message).toContain('maxChildren must be a whole number');
    expect(failure({ allowedTenants: ['acme', 'acme'] }).message).toContain('lists a tenant twice');
  });
});
