import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './parse-env-file.js';
import { renderEnvFile } from './render-env-file.js';

const FILE = '/home/agent/.env';

function failure(text: string) {
  try {
    parseEnvFile(text, FILE);
  } catch (error) {
    if (isColibriError(error, 'COLIBRI_SECRETS_MALFORMED')) return error;
    throw error;
  }
  throw new Error('expected parseEnvFile to fail');
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

  it("reads KEY='value' lines as the vault writes them, values taken literally", () => {
    const text = [
      "OPENROUTER_API_KEY='sk-or-v1-abc'",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${X} the parser must not expand
      "WEIRD='$HOME `id` \\n \" ${X} ünï 🐦'",
      "MULTI='line one",
      'line two',
      "'",
      "EMPTY=''",
      '',
    ].join('\n');
    expect(Object.fromEntries(parseEnvFile(text, FILE))).toEqual({
      OPENROUTER_API_KEY: 'sk-or-v1-abc',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${X}, unexpanded
      WEIRD: '$HOME `id` \\n " ${X} ünï 🐦',
      MULTI: 'line one\nline two\n',
      EMPTY: '',
    });
  });

  it('allows blank lines and # comment lines, with or without a final newline, and sorts', () => {
    expect(parseEnvFile("# demo secrets\n\nZ='1'\n  # indented comment\nA='2'", 'x')).toEqual([
      ['A', '2'],
      ['Z', '1'],
    ]);
    expect(parseEnvFile('', 'x')).toEqual([]);
  });

  it('names the line of a malformed entry, never its text', () => {
    const error = failure("A='ok'\nthis is the secret s3cr3t\n");
    expect(error.message).toBe(
      `${FILE} line 2: expected KEY='value' with KEY of [A-Za-z_][A-Za-z0-9_]* at the start of the line (no spaces around =, no export)`,
    );
    expect(error.message).not.toContain('s3cr3t');
    expect(error.details).toEqual({ envFile: FILE, line: 2 });
  });

  it.each([
    ["A='x'\nB='never closed\nmore\n", 2, "the value of B opens a ' quote that is never closed"],
    ["A='x' s3cr3t\n", 1, 'unexpected characters after the closing quote of A'],
    ["A='x' # a comment\n", 1, 'unexpected characters after the closing quote of A'],
    ['A=s3cr3t\n', 1, "the value of A is not in single quotes: write A='...'"],
    ['A=\n', 1, "the value of A is not in single quotes: write A='...'"],
    ['A="s3cr3t"\n', 1, "the value of A is not in single quotes: write A='...'"],
    ["A='it'\\''s3cr3t'\n", 1, "the value of A continues after its closing quote: a value cannot contain '"],
    ["A='s3cr3t''x'\n", 1, "the value of A continues after its closing quote: a value cannot contain '"],
    [
      "A='x'\r\n",
      1,
      'carriage return after the value of A (CRLF line endings?): save the file with LF line endings',
    ],
    [
      'A=s3cr3t\r\n',
      1,
      'carriage return in the value of A (CRLF line endings?): save the file with LF line endings',
    ],
    ["A='s3\r\ncr3t'\n", 1, 'the value of A contains a carriage return'],
    ["A='s3\0cr3t'\n", 1, 'the value of A contains a NUL character'],
    ["A='s3\\\\cr3t'\n", 1, 'the value of A contains two backslashes in a row'],
    ["A='s3cr3t\\'\n", 1, 'the value of A contains a backslash at its end'],
    ['# comment\r\n', 1, 'carriage return (CRLF line endings?)'],
    ["A='1'\n\nA='s3cr3t'\n", 3, 'A is set twice (first on line 1); keep one'],
    ["export A='s3cr3t'\n", 1, "expected KEY='value'"],
    ["  A='s3cr3t'\n", 1, "expected KEY='value'"],
    ["A = 's3cr3t'\n", 1, "expected KEY='value'"],
    ["1A='s3cr3t'\n", 1, "expected KEY='value'"],
  ])('refuses %j at line %i', (text, line, problem) => {
    const error = failure(text);
    expect(error.message).toContain(`${FILE} line ${line}: ${problem}`);
    expect(error.message).not.toContain('s3cr3t');
    expect(JSON.stringify(error.details)).not.toContain('s3cr3t');
    expect(error.details).toMatchObject({ line });
  });

  it('counts lines inside multi-line values', () => {
    expect(failure("A='a\nb\nc'\nB=bad value\n").details).toMatchObject({ line: 4, key: 'B' });
  });

  it('keeps keys like __proto__ as plain data', () => {
    const parsed = Object.fromEntries(parseEnvFile("__proto__='x'\n", FILE));
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });
});
