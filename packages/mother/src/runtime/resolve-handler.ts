import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { HANDLER_NAME_PATTERN } from './parse-handler-payload.js';

/**
 * The executable for handler `name`: `<handlersDir>/<name>`, which must be a regular file that
 * this process may execute and whose real path (symlinks resolved) stays inside the real
 * handlers directory — a symlink to `/bin/sh` or `../elsewhere` is refused, one to a file in a
 * subdirectory is fine. Returns the real path
 * (what gets spawned). Throws `COLIBRI_HANDLER_NOT_FOUND` (missing, not a file, not executable)
 * or `COLIBRI_UNSAFE_PATH` (escapes the directory), each naming the directory and what to fix.
 */
export async function resolveHandler(handlersDir: string, name: string): Promise<string> {
  if (!HANDLER_NAME_PATTERN.test(name)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `handler name ${JSON.stringify(name)} is not a plain file name (a-z, 0-9, ".", "_", "-")`,
      { handler: name },
    );
  }
  let root: string;
  try {
    root = await realpath(handlersDir);
  } catch (error) {
    throw new ColibriError(
      'COLIBRI_HANDLER_NOT_FOUND',
      `the handlers directory ${handlersDir} does not exist or cannot be read; create it and put executable handlers in it`,
      { handler: name, handlersDir },
      { cause: error },
    );
  }
  const notFound = (why: string) =>
    new ColibriError('COLIBRI_HANDLER_NOT_FOUND', `handler "${name}" ${why}`, { handler: name, handlersDir });
  let target: string;
  try {
    target = await realpath(join(root, name));
  } catch {
    throw notFound(
      `not found: there is no ${join(handlersDir, name)}; put an executable file named ${name} in ${handlersDir}`,
    );
  }
  const inside = relative(root, target);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `handler "${name}" resolves to ${target}, outside ${handlersDir}; a handler must live in the handlers directory, not link out of it`,
      { handler: name, handlersDir },
    );
  }
  const info = await stat(target);
  if (!info.isFile()) throw notFound(`is not a regular file (${join(handlersDir, name)})`);
  try {
    await access(target, constants.X_OK);
  } catch {
    throw notFound(`is not executable: chmod +x ${join(handlersDir, name)}`);
  }
  return target;
}
