import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './parse-env-file.js';
import { renderEnvFile } from './render-env-file.js';

function refused(text: string): ColibriError {
  try {
    parseEnvFile(text, '/secrets/tenant-a.env');
  } catch (error) {
    expect(error).toBeInstanceOf(ColibriError);
    expect((error as ColibriError).code).toBe('COLIBRI_VAULT_SECRET_INVALID');
    return error as ColibriError;
  }
  throw new Error('expected parseEnvFile to refuse');
}

describe('parseEnvFile', () => {
  it('is the inverse of renderEnvFile', () => {
    const variables: Array<readonly [string, string]> = [
      ['A', 'multi\nline\n'],
      ['B', '$X `y` "z" \\ # = \t ü'],
      ['C', ''],
    ];
    expect(parseEnvFile(renderEnvFile(variables), 'x')).toEqual(variables);
  });

  it('allows blank lines and # comment lines, with or without a final newline, and sorts', () => {
    expect(parseEnvFile("# demo secrets\n\nZ='1'\n  # indented comment\nA='2'", 'x')).toEqual([
      ['A', '2'],
      ['Z', '1'],
    ]);
    expect(parseEnvFile('', 'x')).toEqual([]);
  });

  it('refuses other forms, naming the file and line but not the content', () => {
    const error = refused("A='1'\nB=unquoted-secret\n");
    expect(error.message).toContain('/secrets/tenant-a.env line 2');
    expect(error.message).not.toContain('unquoted-secret');
    refused('B="double"\n');
    refused("export B='x'\n");
    refused("B='unterminated\n");
    refused("B='a'trailing\n");
    refused("1B='x'\n");
  });

  it('refuses duplicates and values with CR', () => {
    expect(refused("A='1'\nA='2'\n").message).toContain('A is defined twice');
    expect(refused("A='1\r'\n").message).toContain('carriage return');
  });
});
