// The codec's promise: what renderEnvFile writes, every reader colibri's users load a .env with
// reads back exactly — a real POSIX sh (`set -a; . ./.env`), node dotenv and python-dotenv — and so
// does parseEnvFile. Each reader runs for real: /bin/sh, dotenv's parse(), `python3 -m` a script.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvFile } from './parse-env-file.js';
import { renderEnvFile } from './render-env-file.js';

/** Values a shell, a dotenv parser or a JSON layer would mangle; each must come back exactly. */
const TRICKY: Array<readonly [string, string]> = [
  ['DOUBLE_QUOTES', 'say "hi" to "them"'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${HOME} is the point
  ['DOLLAR', '$HOME ${HOME} $(id) $1 $$ costs $5'],
  ['BACKSLASH', 'C:\\path\\n\\t \\x\\ y'],
  ['BACKTICKS', '`id` and `uname -a`'],
  ['NEWLINES', 'line one\nline two\n\nend\n'],
  ['LEADING_NEWLINE', '\nstarts with a newline'],
  ['TABS', 'a\tb\t\tc'],
  ['UNICODE', 'grüße 🐦 日本 \u00a0 — ñ'],
  ['HASH_EQUALS', '#not a comment = still value # nor this'],
  ['SPACES', '  padded  '],
  ['SEMICOLONS', 'x; rm -rf / && echo pwned | cat'],
  ['EXPORT_LOOKALIKE', 'export X=1\nY=2'],
  ['EMPTY', ''],
  ['_under_score9', 'ok'],
];

const PYTHON_DOTENV = `
import json, sys
from dotenv import dotenv_values
print(json.dumps(dotenv_values(sys.argv[1], interpolate=sys.argv[2] == "1")))
`;

describe('renderEnvFile output read back by every reader', () => {
  let dir: string;
  let file: string;
  let text: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'colibri-env-round-trip-'));
    file = join(dir, '.env');
    text = renderEnvFile(TRICKY);
    writeFileSync(file, text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const expected = () => Object.fromEntries(TRICKY);

  it('POSIX sh: set -a; . ./.env exports exactly these values', () => {
    const out = execFileSync(
      '/bin/sh',
      [
        '-c',
        'set -a; . "$1"; exec "$2" -e "process.stdout.write(JSON.stringify(process.env))"',
        'sh',
        file,
        process.execPath,
      ],
      { env: {}, encoding: 'utf8' },
    );
    const env = JSON.parse(out) as Record<string, string>;
    expect(Object.fromEntries(TRICKY.map(([key]) => [key, env[key]]))).toEqual(expected());
  });

  it('node dotenv: parse() gives exactly these values', () => {
    expect(dotenvParse(text)).toEqual(expected());
  });

  it('python-dotenv: dotenv_values(interpolate=False) gives exactly these values', () => {
    const out = execFileSync('python3', ['-c', PYTHON_DOTENV, file, '0'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    expect(JSON.parse(out)).toEqual(expected());
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the test name quotes the ${X} syntax
  it('python-dotenv with its default interpolation expands ${X} even inside single quotes (the documented caveat)', () => {
    const out = execFileSync('python3', ['-c', PYTHON_DOTENV, file, '1'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/expanded' },
    });
    const values = JSON.parse(out) as Record<string, string>;
    expect(values.DOLLAR).toBe('$HOME /home/expanded $(id) $1 $$ costs $5');
    const { DOLLAR: _, ...rest } = values;
    const { DOLLAR: __, ...expectedRest } = expected();
    expect(rest).toEqual(expectedRest);
  });

  it('parseEnvFile: exactly these values, sorted', () => {
    expect(parseEnvFile(text, file)).toEqual([...TRICKY].sort(([a], [b]) => (a < b ? -1 : 1)));
  });
});
