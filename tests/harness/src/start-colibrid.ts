import { type ChildProcess, type SpawnOptions, spawn as spawnProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ColibriClient, createClient } from '@colibri/client';
import { eventually } from './eventually.js';

/**
 * colibrid's entry point in this workspace (`apps/daemon/dist/main.js`). A suite that starts it
 * declares `@colibri/daemon` as a (dev) dependency, so turbo builds it first.
 */
export const COLIBRID_MAIN = fileURLToPath(new URL('../../../apps/daemon/dist/main.js', import.meta.url));

/** How a process is started: `node:child_process` `spawn`, or a lab host's (`ip netns exec …`). */
export type SpawnColibrid = (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface StartColibridOptions {
  /** Flags after `--home <home>`, e.g. `['--lease', '1s']`. */
  readonly args?: readonly string[];
  /**
   * The process's whole environment besides `PATH` (always the caller's): nothing else of the
   * caller's leaks in (no `COLIBRI_*`, no `HOME` unless given here).
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Starts the process; default `node:child_process` `spawn`. The cross-host lab passes its host's. */
  readonly spawn?: SpawnColibrid;
  /** Reuse this home (e.g. to restart after a crash); default a new temp dir. */
  readonly home?: string;
  /** The temp home's name prefix (in the system temp dir); default `colibrid-test-`. */
  readonly homePrefix?: string;
  /** Keep the home when disposing (the caller removes it); by default `dispose` removes it. */
  readonly keepHome?: boolean;
  /**
   * Append stdout and stderr to this file (kept across restarts, read by `logs()`), instead of
   * capturing them through pipes. Needed when the daemon is meant to outlive a pipe reader.
   */
  readonly logFile?: string;
  /** Descriptors handed to colibrid beyond stdio: the child's fd number → this process's fd. */
  readonly inheritFds?: Readonly<Record<number, number>>;
  /** How long it may take to answer `GET /v1/status`: a failure guard, default 60 s (a loaded CI machine took over 30 s). */
  readonly readyTimeoutMs?: number;
  /** colibrid's entry point; default {@link COLIBRID_MAIN}. */
  readonly main?: string;
}

export interface ColibridExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A colibrid process on a home of its own, answering on its socket, and clients for it. */
export interface Colibrid {
  readonly home: string;
  readonly socketPath: string;
  /** The operator token colibrid wrote on its first start. */
  readonly operatorToken: string;
  /** A client with the operator token. */
  readonly operator: ColibriClient;
  /** The current process (a new one after `restart`). */
  readonly child: ChildProcess;
  /** A client presenting `token` (or none). */
  client(token?: string): ColibriClient;
  /** Everything colibrid wrote to stdout and stderr so far (across restarts). */
  logs(): string;
  /** True once the current process has exited. */
  exited(): boolean;
  /**
   * Sends `signal` (default SIGTERM) and resolves once the process has gone; with `graceMs`, a
   * SIGKILL follows when it has not gone by then.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ColibridExit>;
  /** Starts it again on the same home (same socket, database and operator token) and waits until it answers. */
  restart(): Promise<void>;
  /** SIGKILL if running, then removes the home (unless `keepHome`). */
  dispose(): Promise<void>;
}

/** stdio for spawn: stdin ignored, stdout and stderr to `out`, then `inheritFds` at their numbers. */
function stdioWith(
  out: number | 'pipe',
  inheritFds: Readonly<Record<number, number>> = {},
): (number | 'ignore' | 'pipe')[] {
  const stdio: (number | 'ignore' | 'pipe')[] = ['ignore', out, out];
  for (const [childFd, parentFd] of Object.entries(inheritFds)) {
    while (stdio.length <= Number(childFd)) stdio.push('ignore');
    stdio[Number(childFd)] = parentFd;
  }
  return stdio;
}

function exitOf(child: ChildProcess): Promise<ColibridExit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Starts `node <colibrid> --home <home> ...args` as a real process and resolves once it answers
 * `GET /v1/status` with the operator token it wrote. A process that exits first, or does not
 * answer within `readyTimeoutMs`, fails with everything it printed.
 */
export async function startColibrid(options: StartColibridOptions = {}): Promise<Colibrid> {
  const ownHome = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), options.homePrefix ?? 'colibrid-test-'));
  const socketPath = join(home, 'colibri.sock');
  const tokenPath = join(home, 'operator.token');
  const spawn = options.spawn ?? spawnProcess;
  const { logFile } = options;
  let captured = '';
  const logs = () =>
    logFile === undefined ? captured : existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  let child: ChildProcess;

  async function launch(): Promise<void> {
    const out = logFile === undefined ? ('pipe' as const) : openSync(logFile, 'a');
    child = spawn(
      process.execPath,
      [options.main ?? COLIBRID_MAIN, '--home', home, ...(options.args ?? [])],
      {
        stdio: stdioWith(out, options.inheritFds),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
      },
    );
    if (typeof out === 'number') closeSync(out);
    child.stdout?.on('data', (chunk: Buffer) => {
      captured += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      captured += chunk.toString();
    });
    const started = child;
    try {
      await eventually(
        'colibrid to answer',
        async () => {
          if (started.exitCode !== null || started.signalCode !== null) {
            throw new Error(`colibrid exited (${started.exitCode ?? started.signalCode}) before answering`);
          }
          if (!existsSync(tokenPath) || !existsSync(socketPath)) return undefined;
          const token = readFileSync(tokenPath, 'utf8').trim();
          try {
            await createClient({ socketPath, token, timeoutMs: 2000 }).status();
            return true;
          } catch {
            return undefined; // not ready yet
          }
        },
        options.readyTimeoutMs ?? 60_000,
      );
    } catch (error) {
      started.kill('SIGKILL');
      await exitOf(started);
      throw new Error(`${(error as Error).message}:\n${logs()}`, { cause: error });
    }
  }

  try {
    await launch();
  } catch (error) {
    if (ownHome) rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const operatorToken = readFileSync(tokenPath, 'utf8').trim();
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs?: number): Promise<ColibridExit> => {
    const current = child;
    if (!exited()) current.kill(signal);
    const timer = graceMs === undefined ? undefined : setTimeout(() => current.kill('SIGKILL'), graceMs);
    const exit = await exitOf(current);
    clearTimeout(timer);
    return exit;
  };
  return {
    home,
    socketPath,
    operatorToken,
    operator: createClient({ socketPath, token: operatorToken }),
    get child() {
      return child;
    },
    client: (token?: string) => createClient(token === undefined ? { socketPath } : { socketPath, token }),
    logs,
    exited,
    stop,
    restart: launch,
    async dispose() {
      await stop('SIGKILL');
      if (options.keepHome !== true) rmSync(home, { recursive: true, force: true });
    },
  };
}
