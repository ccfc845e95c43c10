import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { MINIMAL_COMMAND_ENV } from '../minimal-command-env.js';
import type { KeeperReport } from './keeper.js';

/** Options of {@link startKeeper}. */
export interface StartKeeperOptions {
  /** The keeper script (dist/linux/keeper-main.js). */
  readonly keeperEntry: string;
  /** `R/<jail>`, the keeper's only argument. */
  readonly jailDir: string;
  /** `R/<jail>/run/keeper.log`: the keeper's stdout and stderr. */
  readonly keeperLog: string;
  /** Failure guard: how long to wait for the keeper's report. */
  readonly timeoutMs: number;
}

/**
 * Starts the keeper detached (its own session, so it outlives the caller and a terminal's
 * SIGHUP) and waits for its one report on descriptor 3: the sandbox is up, or why not.
 * Resolves the report; a keeper that exits or says nothing within the guard counts as failed
 * (and is killed).
 */
export async function startKeeper(options: StartKeeperOptions): Promise<KeeperReport> {
  const log = openSync(
    options.keeperLog,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [options.keeperEntry, options.jailDir], {
      detached: true,
      stdio: ['ignore', log, log, 'pipe'],
      env: { ...MINIMAL_COMMAND_ENV },
    });
  } finally {
    closeSync(log);
  }
  const channel = child.stdio[3] as Readable | null;
  const report = await new Promise<KeeperReport>((resolve) => {
    let text = '';
    const done = (value: KeeperReport) => {
      clearTimeout(guard);
      channel?.removeAllListeners('data');
      child.removeListener('exit', onExit);
      resolve(value);
    };
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ready: false, error: `the keeper did not report within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      done({
        ready: false,
        error: `the keeper exited (code ${code}, signal ${signal}) before the sandbox was up`,
      });
    child.on('exit', onExit);
    child.on('error', (error) =>
      done({ ready: false, error: `the keeper could not start: ${error.message}` }),
    );
    channel?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      try {
        done(JSON.parse(text.slice(0, newline)) as KeeperReport);
      } catch {
        done({ ready: false, error: `the keeper reported something unreadable: ${text.slice(0, 200)}` });
      }
    });
  });
  channel?.destroy();
  child.unref();
  return report;
}
