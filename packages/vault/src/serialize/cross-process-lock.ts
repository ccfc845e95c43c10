import { setTimeout as sleep } from 'node:timers/promises';
import { ColibriError } from '@colibri/errors';

export interface CrossProcessLockOptions {
  /** An existing directory the lock protects (the bw appdata dir). */
  readonly directory: string;
  /** The lock's own path (a directory proper-lockfile creates), e.g. `<appdata>/colibri.lock`. */
  readonly lockPath: string;
  /** How long to wait for another process to release it. */
  readonly waitMs: number;
  /**
   * A holder that stops refreshing the lock for this long (it died) loses it. Long, because the
   * check compares wall-clock mtimes and this machine's clock may jump.
   */
  readonly staleMs?: number;
  /** Called when our own lock was taken over (e.g. after a clock jump); we cannot stop mid-step. */
  readonly onCompromised: (error: Error) => void;
}

const DEFAULT_STALE_MS = 60_000;

/**
 * Takes the cross-process lock (proper-lockfile: an atomic `mkdir`, refreshed while held, taken
 * over when stale), retrying with a growing pause until `waitMs` has passed on the monotonic
 * clock; then throws `COLIBRI_VAULT_LOCK_TIMEOUT`. Resolves with the release function.
 */
export async function acquireCrossProcessLock(
  options: CrossProcessLockOptions,
): Promise<() => Promise<void>> {
  // Loaded here, not at import: only a bitwarden fetch takes the lock (proper-lockfile's module
  // tree would cost every start that imports the vault).
  const { default: lockfile } = await import('proper-lockfile');
  const started = performance.now();
  let pause = 50;
  for (;;) {
    try {
      return await lockfile.lock(options.directory, {
        lockfilePath: options.lockPath,
        stale: options.staleMs ?? DEFAULT_STALE_MS,
        retries: 0,
        realpath: false,
        onCompromised: options.onCompromised,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    const left = options.waitMs - (performance.now() - started);
    if (left <= 0) {
      throw new ColibriError(
        'COLIBRI_VAULT_LOCK_TIMEOUT',
        `another process has held the vault lock ${options.lockPath} for more than ${options.waitMs} ms; ` +
          'wait for it to finish and try again (a lock left by a dead process expires on its own)',
        { lockPath: options.lockPath, waitedMs: options.waitMs },
      );
    }
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, 1000);
  }
}
