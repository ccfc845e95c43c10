import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { renderEnvFile } from './render-env-file.js';

function refused(variables: Array<readonly [string, string]>): ColibriError {
  try {
    renderEnvFile(variables, { tenantId: 'tenant-a' });
  } catch (error) {
    expect(error).toBeInstanceOf(ColibriError);
    expect((error as ColibriError).code).toBe('COLIBRI_VAULT_SECRET_INVALID');
    return error as ColibriError;
  }
  throw new Error('expected renderEnvFile to refuse');
}

// The round trip through sh, node dotenv and python-dotenv is in round-trip.test.ts.
describe('renderEnvFile', () => {
  it("writes sorted KEY='value' lines ending in a newline, nothing else", () => {
    expect(
      renderEnvFile([
        ['B', '2'],
        ['A', '1'],
        ['a', '3'],
      ]),
    ).toBe("A='1'\nB='2'\na='3'\n");
    expect(renderEnvFile([])).toBe('');
  });

  it.each([
    ["'", 'a single quote'],
    ['\r', 'a carriage return'],
    ['\0', 'a NUL'],
    ['\\\\', 'two backslashes'],
  ])('refuses a value containing %j, naming the key but not the value', (bad, what) => {
    const error = refused([
      ['OK', 'fine'],
      ['TOKEN', `s3cr3t${bad}tail`],
    ]);
    expect(error.message).toContain('TOKEN');
    expect(error.message).toContain(what);
    expect(error.message).not.toContain('s3cr3t');
    expect(JSON.stringify(error.details)).not.toContain('s3cr3t');
    expect(error.details).toMatchObject({ key: 'TOKEN', tenant: 'tenant-a' });
  });

  it('refuses a value ending in a backslash (dotenv parsers read it as escaping the quote)', () => {
    expect(refused([['TOKEN', 'abc\\']]).message).toContain('backslash at its end');
  });

  it.each(['1ABC', 'WITH-DASH', 'WITH SPACE', 'dotted.key', '', 'ÜBER', 'A=B'])(
    'refuses the invalid key %j',
    (key) => {
      expect(refused([[key, 'v']]).message).toContain('not a valid variable name');
    },
  );

  it('refuses a duplicated key', () => {
    expect(
      refused([
        ['A', '1'],
        ['B', '2'],
        ['A', '3'],
      ]).message,
    ).toContain('A is defined twice');
  });
});
