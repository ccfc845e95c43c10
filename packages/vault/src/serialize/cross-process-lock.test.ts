import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireCrossProcessLock } from './cross-process-lock.js';

let directory: string;
let lockPath: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'colibri-lock-'));
  lockPath = join(directory, 'colibri.lock');
});
afterEach(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await rm(directory, { recursive: true, force: true });
});

const lock = (waitMs: number, staleMs?: number) =>
  acquireCrossProcessLock({
    directory,
    lockPath,
    waitMs,
    ...(staleMs === undefined ? {} : { staleMs }),
    onCompromised: () => undefined,
  });

/** Another process holding the same lock (proper-lockfile, as colibri uses it). */
async function holdInAnotherProcess(): Promise<ChildProcess> {
  const lockfile = createRequire(import.meta.url).resolve('proper-lockfile');
  const script = `require(${JSON.stringify(lockfile)}).lock(${JSON.stringify(directory)}, { lockfilePath: ${JSON.stringify(
    lockPath,
  )}, realpath: false, stale: 60000 }).then(() => console.log('locked')); setInterval(() => {}, 1000);`;
  const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    holder.on('exit', () => reject(new Error('the lock holder exited early')));
  });
  return holder;
}

describe('acquireCrossProcessLock', () => {
  it('excludes a second holder and lets it in after release', async () => {
    const release = await lock(1000);
    const error = await lock(100).catch((caught: unknown) => caught);
    expect((error as ColibriError).code).toBe('COLIBRI_VAULT_LOCK_TIMEOUT');
    expect((error as ColibriError).message).toContain(lockPath);
    await release();
    const again = await lock(1000);
    await again();
  });

  it('waits for another process and gives up with COLIBRI_VAULT_LOCK_TIMEOUT', async () => {
    child = await holdInAnotherProcess();
    const error = await lock(300).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ColibriError);
    expect((error as ColibriError).code).toBe('COLIBRI_VAULT_LOCK_TIMEOUT');
  });

  it('takes over a lock left by a dead process once it is stale', async () => {
    // What a killed holder leaves behind: the lock directory, no longer refreshed.
    await mkdir(lockPath);
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lockPath, old, old);
    const release = await lock(5000, 60_000);
    expect((await stat(lockPath)).isDirectory()).toBe(true);
    await release();
  });
});
