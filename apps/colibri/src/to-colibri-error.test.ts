import { ColibriError } from '@colibri/errors';
import { Flags, Parser } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { oneLine, redact, toColibriError } from './to-colibri-error.js';

async function parseError(argv: string[]): Promise<unknown> {
  try {
    await Parser.parse(argv, {
      flags: {
        priority: Flags.integer({ description: 'p' }),
        to: Flags.option({ options: ['running', 'done'] as const, description: 't' })(),
        title: Flags.string({ description: 't', required: true }),
        socket: Flags.string({ exclusive: ['url'] }),
        url: Flags.string({ exclusive: ['socket'] }),
      },
    });
  } catch (error) {
    return error;
  }
  throw new Error('expected a parse error');
}

describe('toColibriError', () => {
  it("turns oclif's parser errors into one-line COLIBRI_INVALID_INPUT", async () => {
    const cases: [string[], RegExp][] = [
      [['--title', 't', '--priority', 'abc'], /^--priority: Expected an integer but received: abc$/],
      [['--title', 't', '--to', 'sideways'], /^Expected --to=sideways to be one of: running, done$/],
      [[], /^Missing required flag title$/],
      [['--title', 't', '--bogus'], /^Nonexistent flag: --bogus$/],
      [['--title', 't', '--socket', 's', '--url', 'u'], /cannot also be provided when using/],
    ];
    for (const [argv, expected] of cases) {
      const error = toColibriError(await parseError(argv));
      expect(error.code).toBe('COLIBRI_INVALID_INPUT');
      expect(error.message).toMatch(expected);
      expect(error.message).not.toContain('\n');
      expect(error.message).not.toContain('See more help');
    }
  });

  it('keeps a ColibriError (and its code), flattening only a multi-line message', () => {
    const error = new ColibriError('COLIBRI_TASK_NOT_FOUND', 'no task abc', { taskId: 'abc' });
    expect(toColibriError(error)).toBe(error);
    const multi = toColibriError(new ColibriError('COLIBRI_INVALID_INPUT', 'first\n  second'));
    expect(multi.message).toBe('first; second');
    expect(multi.code).toBe('COLIBRI_INVALID_INPUT');
  });

  it('calls anything else internal', () => {
    const error = toColibriError(new TypeError('x is undefined'));
    expect(error.code).toBe('COLIBRI_INTERNAL');
    expect(error.message).toBe('x is undefined');
    expect(toColibriError('weird').message).toBe('weird');
  });
});

describe('oneLine / redact / exitCodeFor', () => {
  it('strips colours and the help hint', () => {
    expect(
      oneLine(
        'The following error occurred:\n  \u001b[2mMissing required flag x\u001b[22m\nSee more help with --help',
      ),
    ).toBe('Missing required flag x');
  });

  it('replaces every occurrence of each secret', () => {
    expect(redact('bad token abcd1234 (abcd1234)', ['abcd1234', undefined])).toBe('bad token *** (***)');
    expect(redact('a b', ['a'])).toBe('a b'); // too short to be a token: left alone
  });

  it('maps codes to exit codes by kind; an unknown code is internal', () => {
    expect(exitCodeFor('COLIBRI_INVALID_CAPABILITY')).toBe(2);
    expect(exitCodeFor('COLIBRI_UNAUTHENTICATED')).toBe(77);
    expect(exitCodeFor('COLIBRI_FORBIDDEN')).toBe(77);
    expect(exitCodeFor('COLIBRI_TASK_NOT_FOUND')).toBe(3);
    expect(exitCodeFor('COLIBRI_STALE_ATTEMPT')).toBe(4);
    expect(exitCodeFor('COLIBRI_DAEMON_UNREACHABLE')).toBe(5);
    expect(exitCodeFor('COLIBRI_FROM_THE_FUTURE')).toBe(EXIT_CODES.internal);
  });
});
