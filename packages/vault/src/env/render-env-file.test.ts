import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { renderEnvFile } from './render-env-file.js';

const TRICKY: Array<readonly [string, string]> = [
  ['DOUBLE_QUOTES', 'say "hi"'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${HOME} is the point
  ['DOLLAR', '$HOME ${HOME} $(id) $1'],
  ['BACKSLASH', 'C:\\path\\n\\t \\x\\ y'],
  ['BACKTICKS', '`id` and `uname -a`'],
  ['NEWLINES', 'line one\nline two\n\nend\n'],
  ['TABS', 'a\tb\t'],
  ['UNICODE', 'grüße 🐦 日本 \u00a0'],
  ['HASH_EQUALS', '#not a comment = still value'],
  ['SPACES', '  padded  '],
  ['EMPTY', ''],
  ['_under_score9', 'ok'],
];

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

  it('round-trips quotes, $, backslashes, backticks, newlines, tabs and Unicode through a real POSIX sh', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'colibri-render-'));
    try {
      const file = join(directory, '.env');
      await writeFile(file, renderEnvFile(TRICKY));
      // `set -a; . file` exports every assignment; a child node prints the environment it got.
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
      for (const [key, value] of TRICKY) expect(env[key]).toBe(value);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
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
