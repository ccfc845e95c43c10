import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColibriClient } from '@colibri/client';
import { eventually as sharedEventually, startColibrid } from '@colibri/test-harness';

export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
export const SEED_HOSTS = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../test-fixtures/seed-hosts.json', import.meta.url)), 'utf8'),
) as { agents: { name: string; host: string; tenant: null; capabilities: string[] }[] };

/** Where the harness writes a daemon's stdout and stderr: outside its home, the same file across restarts. */
export function logPathFor(home: string): string {
  return join(tmpdir(), `colibrid-test-${createHash('sha1').update(home).digest('hex').slice(0, 12)}.log`);
}

/** A colibrid process on a temp COLIBRI_HOME, and clients for it. */
export interface Daemon {
  readonly home: string;
  readonly socketPath: string;
  readonly operatorToken: string;
  /** A client with the operator token. */
  readonly operator: ColibriClient;
  readonly child: ChildProcess;
  /** A client presenting `token` (or none). */
  client(token?: string): ColibriClient;
  /** Everything the daemon wrote to stdout and stderr so far. */
  logs(): string;
  /** Sends `signal` and resolves with the exit once the process has gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the daemon if running and deletes the home (unless kept). */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Reuse this home (e.g. to restart after a crash); default a new temp dir. */
  readonly home?: string;
  /** Extra flags, e.g. `['--lease', '1s']`. */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Keep the home when disposing (the caller removes it). */
  readonly keepHome?: boolean;
  /** Descriptors handed to colibrid beyond stdio: the child's fd number → this process's fd. */
  readonly inheritFds?: Readonly<Record<number, number>>;
}

/**
 * Starts `node dist/main.js --home … --log-level debug` through the one test harness
 * (`startColibrid`) and waits until it answers `GET /v1/status`. Output goes to
 * {@link logPathFor}'s file, kept across restarts on the same home.
 */
export async function startDaemon(options: StartOptions = {}): Promise<Daemon> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'colibrid-test-'));
  const logPath = logPathFor(home);
  const colibrid = await startColibrid({
    home,
    main: MAIN,
    args: ['--log-level', 'debug', ...(options.args ?? [])],
    env: options.env ?? {},
    logFile: logPath,
    keepHome: true,
    ...(options.inheritFds === undefined ? {} : { inheritFds: options.inheritFds }),
  });
  return {
    home,
    socketPath: colibrid.socketPath,
    operatorToken: colibrid.operatorToken,
    operator: colibrid.operator,
    child: colibrid.child,
    client: colibrid.client,
    logs: colibrid.logs,
    stop: (signal) => colibrid.stop(signal),
    async dispose() {
      await colibrid.dispose();
      if (!options.keepHome) {
        rmSync(home, { recursive: true, force: true });
        rmSync(logPath, { force: true });
      }
    },
  };
}

/** A raw HTTP exchange over the socket, for what the typed client cannot send (bad bodies, paths). */
export function raw(
  socketPath: string,
  init: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; text: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    // Node's client sends a GET body unframed unless told its length.
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = request({ socketPath, method: init.method, path: init.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Everything the operator can see: what a refused request must leave untouched. */
export async function snapshot(daemon: Daemon): Promise<string> {
  const [{ agents }, { tasks }] = await Promise.all([
    daemon.operator.listAgents(),
    daemon.operator.listTasks({ limit: 10_000 }),
  ]);
  const events = await Promise.all(tasks.map((t) => daemon.operator.showTask(t.id).then((s) => s.events)));
  return JSON.stringify({ agents, tasks, events });
}

/** The harness's `eventually` with this file's argument order (`check` first), kept for its callers. */
export function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  return sharedEventually(what, check, ms);
}

/** The ColibriError code a promise rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? `not a ColibriError: ${(error as Error).message}`;
  }
  return 'resolved';
}
