import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './parse-env-file.js';

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
  it("reads KEY='value' lines as the vault writes them, values taken literally", () => {
    const text = [
      "OPENROUTER_API_KEY='sk-or-v1-abc'",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${X} the parser must not expand
      "WEIRD='$HOME `id` \\n \" \\\\ ${X} ünï 🐦'",
      "MULTI='line one",
      'line two',
      "'",
      "EMPTY=''",
      '',
    ].join('\n');
    expect(parseEnvFile(text, FILE)).toEqual({
      OPENROUTER_API_KEY: 'sk-or-v1-abc',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${X}, unexpanded
      WEIRD: '$HOME `id` \\n " \\\\ ${X} ünï 🐦',
      MULTI: 'line one\nline two\n',
      EMPTY: '',
    });
  });

  it('accepts simple unquoted values, blank lines and comments', () => {
    expect(
      parseEnvFile('# provisioned by colibri\n\nPORT=8080\nURL=https://x.example/a,b=c@d%2F+e\nE=\n', FILE),
    ).toEqual({
      PORT: '8080',
      URL: 'https://x.example/a,b=c@d%2F+e',
      E: '',
    });
  });

  it("joins '...'\\''...' segments the way sh does", () => {
    expect(parseEnvFile("QUOTE='it'\\''s'\n", FILE)).toEqual({ QUOTE: "it's" });
  });

  it('agrees with a real POSIX sh on what it accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'colibri-env-'));
    try {
      const text = "A='x y'\nB='$(id)'\nC='l1\nl2'\nD=plain\nE='it'\\''s'\n";
      const file = join(dir, '.env');
      writeFileSync(file, text);
      const script =
        'set -a; . "$1"; for k in A B C D E; do eval "printf %s=%s\\\\\\\\0 \\"$k\\" \\"\\$$k\\""; done';
      const output = execFileSync('/bin/sh', ['-c', script, 'sh', file], { encoding: 'utf8', env: {} });
      const fromSh = Object.fromEntries(
        output
          .split('\0')
          .filter((entry) => entry !== '')
          .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
      );
      expect(parseEnvFile(text, file)).toEqual(fromSh);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    ['A=s3cr3t value\n', 1, "the unquoted value of A has characters that need quoting: write A='...'"],
    ['A="s3cr3t"\n', 1, "the unquoted value of A has characters that need quoting: write A='...'"],
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
    [
      "A='s3\0cr3t'\n",
      1,
      'the value of A contains a NUL or carriage return, which an environment variable cannot carry',
    ],
    ["A='1'\n\nA='s3cr3t'\n", 3, 'A is set twice (first on line 1); keep one'],
    ['export A=s3cr3t\n', 1, "expected KEY='value'"],
    ['1A=s3cr3t\n', 1, "expected KEY='value'"],
  ])('refuses %j at line %i', (text, line, problem) => {
    const error = failure(text);
    expect(error.message).toContain(`${FILE} line ${line}: ${problem}`);
    expect(error.message).not.toContain('s3cr3t');
    expect(error.details).toMatchObject({ line });
  });

  it('counts lines inside multi-line values', () => {
    expect(failure("A='a\nb\nc'\nB=bad value\n").details).toMatchObject({ line: 4, key: 'B' });
  });

  it('keeps keys like __proto__ as plain data', () => {
    const parsed = parseEnvFile("__proto__='x'\n", FILE);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });
});
