import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { parseEnvFile } from '@colibri/env-file';
import { ColibriError } from '@colibri/errors';

/** What {@link loadAgentSecrets} checks against. */
export interface LoadAgentSecretsOptions {
  /** The `.env` the provisioner wrote for this agent, absolute. */
  readonly envFile: string;
  /** The uid the agent runs as (`process.geteuid()`): the file must be owned by it. */
  readonly expectedUid: number;
}

/** No `.env` (a tenant without a bucket), or the variables it holds. */
export type AgentSecrets =
  | { readonly present: false }
  | { readonly present: true; readonly variables: Record<string, string> };

// A .env holds a handful of keys; anything this large is not one.
const MAX_ENV_BYTES = 1024 * 1024;
const ALLOWED_MODES = new Set([0o600, 0o400]);

type UnsafeReason = 'symlink' | 'not-regular' | 'owner' | 'mode' | 'too-large' | 'unreadable' | 'replaced';

function unsafe(envFile: string, reason: UnsafeReason, message: string, cause?: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_SECRETS_UNSAFE',
    `refusing to start: ${message}`,
    { envFile, reason },
    cause === undefined ? undefined : { cause },
  );
}

function describeType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Checks `stats` (of the opened file) for everything except its type, which is checked before opening. */
function checkOwnerAndMode(envFile: string, stats: Stats, expectedUid: number): void {
  if (stats.uid !== expectedUid) {
    throw unsafe(
      envFile,
      'owner',
      `${envFile} is owned by uid ${stats.uid}, not by this agent (uid ${expectedUid}); the provisioner ` +
        `writes it owned by the jail user: re-provision it, or chown ${expectedUid} it if it is yours`,
    );
  }
  const mode = stats.mode & 0o7777;
  if (!ALLOWED_MODES.has(mode)) {
    throw unsafe(
      envFile,
      'mode',
      `${envFile} has mode 0${mode.toString(8)}; it must be 0600 (owner read/write only, no group or other ` +
        'bits): chmod 600 it, and rotate its secrets if others may have read them',
    );
  }
  if (stats.size > MAX_ENV_BYTES) {
    throw unsafe(envFile, 'too-large', `${envFile} is ${stats.size} bytes, larger than any .env (max 1 MiB)`);
  }
}

/**
 * Verifies and loads the agent's `.env`. Inside a jail the agent never fetches secrets — the
 * jail holds no bootstrap credential — so it only checks what the provisioner wrote:
 * a regular file (not a symlink, directory, fifo or device), owned by `expectedUid`, mode 0600
 * (0400 is also accepted: still owner-only). Anything else throws `COLIBRI_SECRETS_UNSAFE` with
 * the reason; a malformed file throws `COLIBRI_SECRETS_MALFORMED` naming the line.
 *
 * No `.env` at all is fine (`{present: false}`): agents whose tenant has no bucket have none.
 *
 * The checks are made on the opened descriptor (opened with O_NOFOLLOW, compared by device and
 * inode with what was inspected), so the file cannot be swapped between check and read.
 */
export async function loadAgentSecrets(options: LoadAgentSecretsOptions): Promise<AgentSecrets> {
  const { envFile, expectedUid } = options;
  let before: Stats;
  try {
    before = await lstat(envFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { present: false };
    throw unsafe(envFile, 'unreadable', `cannot inspect ${envFile}: ${(error as Error).message}`, error);
  }
  if (before.isSymbolicLink()) {
    throw unsafe(
      envFile,
      'symlink',
      `${envFile} is a symbolic link; secrets are only read from a regular file the provisioner wrote ` +
        "(a link could point at another tenant's file): remove the link and re-provision",
    );
  }
  // Never open a fifo or device: opening one can block or have side effects.
  if (!before.isFile()) {
    throw unsafe(
      envFile,
      'not-regular',
      `${envFile} is ${describeType(before)}, not a regular file: remove it and re-provision`,
    );
  }

  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(envFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP (Linux) / EMLINK (FreeBSD): it became a symlink after the check.
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw unsafe(
        envFile,
        'replaced',
        `${envFile} was replaced by a symbolic link while being checked`,
        error,
      );
    }
    throw unsafe(
      envFile,
      'unreadable',
      `cannot read ${envFile} (${code ?? 'error'}): it must be readable by this agent (uid ${expectedUid})`,
      error,
    );
  }
  try {
    const stats = await handle.stat();
    if (stats.dev !== before.dev || stats.ino !== before.ino || !stats.isFile()) {
      throw unsafe(envFile, 'replaced', `${envFile} was replaced while being checked; try again`);
    }
    checkOwnerAndMode(envFile, stats, expectedUid);
    const text = await handle.readFile({ encoding: 'utf8' });
    return { present: true, variables: Object.fromEntries(parseEnvFile(text, envFile)) };
  } finally {
    await handle.close();
  }
}
