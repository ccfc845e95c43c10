import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ColibriError } from '@colibri/errors';

/** What {@link prepareHome} found or made. */
export interface PreparedHome {
  /** The operator's bearer token (never log it). */
  readonly operatorToken: string;
  /** True when this start created the token file. */
  readonly createdToken: boolean;
  /** True when this start created the home directory. */
  readonly createdHome: boolean;
  /** Non-fatal findings for the log, e.g. a token file readable by others. */
  readonly warnings: readonly string[];
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,512}$/;

function failed(what: string, path: string, error: unknown): ColibriError {
  const code = (error as { code?: string }).code;
  return new ColibriError(
    'COLIBRI_STORE_UNAVAILABLE',
    `cannot ${what} ${path}: ${code ?? (error as Error).message} (check the path and its permissions, or pass --home)`,
    { path },
    { cause: error },
  );
}

/** A new operator token: 32 random bytes, base64url. */
export function newOperatorToken(): string {
  return randomBytes(32).toString('base64url');
}

function readToken(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${path} does not hold a token (32+ characters of A-Z a-z 0-9 _ -); delete it to have colibrid create a new one`,
      { path },
    );
  }
  return token;
}

/**
 * Writes the token so that the file appears complete or not at all: into a private temp file
 * (O_EXCL, 0600), flushed, then hard-linked to its name, which fails if the name exists. Of two
 * daemons starting at once exactly one token wins and both use it.
 */
function createToken(path: string): { token: string; created: boolean } {
  const token = newOperatorToken();
  const temp = join(dirname(path), `.operator.token.${process.pid}.${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return { token, created: true };
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
    return { token: readToken(path), created: false };
  } finally {
    unlinkSync(temp);
  }
}

/**
 * Makes sure `home` exists (created 0700) and holds the operator token file (0600), creating the
 * token on first start and reusing it afterwards.
 */
export function prepareHome(home: string, tokenPath: string): PreparedHome {
  const warnings: string[] = [];
  let createdHome = false;
  try {
    createdHome = mkdirSync(home, { recursive: true, mode: 0o700 }) !== undefined;
    if (createdHome) chmodSync(home, 0o700);
  } catch (error) {
    throw failed('create the home directory', home, error);
  }
  let token: string;
  let createdToken = false;
  try {
    try {
      token = readToken(tokenPath);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
      ({ token, created: createdToken } = createToken(tokenPath));
    }
    const mode = statSync(tokenPath).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warnings.push(
        `${tokenPath} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it: whoever reads it is the operator`,
      );
    }
  } catch (error) {
    if (error instanceof ColibriError) throw error;
    throw failed('read or create the operator token', tokenPath, error);
  }
  return Object.freeze({
    operatorToken: token,
    createdToken,
    createdHome,
    warnings: Object.freeze(warnings),
  });
}
