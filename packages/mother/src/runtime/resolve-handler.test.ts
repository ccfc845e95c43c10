import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveHandler } from './resolve-handler.js';

const base = mkdtempSync(join(tmpdir(), 'colibri-handlers-'));
const dir = join(base, 'handlers');
mkdirSync(join(dir, 'lib'), { recursive: true });
const script = (path: string, mode = 0o755) => {
  writeFileSync(path, '#!/bin/sh\necho hi\n');
  chmodSync(path, mode);
};
script(join(dir, 'echo'));
script(join(dir, 'lib', 'impl.sh'));
script(join(dir, 'plain'), 0o644);
script(join(base, 'outside'));
mkdirSync(join(dir, 'subdir'));
symlinkSync(join(base, 'outside'), join(dir, 'escape'));
symlinkSync('../outside', join(dir, 'escape-relative'));
symlinkSync('/bin/sh', join(dir, 'shell'));
symlinkSync('lib/impl.sh', join(dir, 'linked'));
symlinkSync('missing', join(dir, 'dangling'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function failure(name: string, handlersDir = dir): Promise<{ code: string; message: string }> {
  try {
    await resolveHandler(handlersDir, name);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error(`resolveHandler(${name}) resolved`);
}

describe('resolveHandler', () => {
  it('finds an executable file in the handlers directory, or behind a link that stays inside', async () => {
    expect(await resolveHandler(dir, 'echo')).toBe(join(dir, 'echo'));
    expect(await resolveHandler(dir, 'linked')).toBe(join(dir, 'lib', 'impl.sh'));
  });

  it.each([
    [
      'nope',
      'COLIBRI_HANDLER_NOT_FOUND',
      /handler "nope" not found: there is no .*nope; put an executable file named nope in/,
    ],
    ['dangling', 'COLIBRI_HANDLER_NOT_FOUND', /not found/],
    ['plain', 'COLIBRI_HANDLER_NOT_FOUND', /is not executable: chmod \+x .*plain/],
    ['subdir', 'COLIBRI_HANDLER_NOT_FOUND', /is not a regular file/],
    [
      'escape',
      'COLIBRI_UNSAFE_PATH',
      /resolves to .*outside, outside .*handlers; a handler must live in the handlers directory/,
    ],
    ['escape-relative', 'COLIBRI_UNSAFE_PATH', /outside/],
    ['shell', 'COLIBRI_UNSAFE_PATH', /outside/],
    ['../outside', 'COLIBRI_INVALID_INPUT', /not a plain file name/],
    ['', 'COLIBRI_INVALID_INPUT', /not a plain file name/],
  ])('%j → %s', async (name, code, message) => {
    const error = await failure(name);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('a missing handlers directory is named', async () => {
    const error = await failure('echo', join(base, 'no-such-dir'));
    expect(error.code).toBe('COLIBRI_HANDLER_NOT_FOUND');
    expect(error.message).toMatch(/the handlers directory .*no-such-dir does not exist/);
  });
});
