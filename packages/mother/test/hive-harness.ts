// Real processes for the runtime's integration tests: colibrid from @colibri/daemon's dist on a temp
// COLIBRI_HOME (through the one test harness), a TCP bridge that can be dropped and restored, handlers
// written as real scripts, and an event recorder to wait on (never on wall time).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ColibriClient } from '@colibri/client';
import { startColibrid } from '@colibri/test-harness';
import type { AgentEvent } from '../src/index.js';

/** colibrid's entry point, through the workspace dependency (turbo builds it first). */
export const COLIBRID_MAIN = join(
  dirname(createRequire(import.meta.url).resolve('@colibri/daemon/package.json')),
  'dist',
  'main.js',
);

export { eventually } from '@colibri/test-harness';

/** A colibrid process on a temp home; restartable on the same home. */
export interface Daemon {
  readonly home: string;
  readonly socketPath: string;
  readonly operatorToken: string;
  readonly operator: ColibriClient;
  client(token: string): ColibriClient;
  logs(): string;
  /** Stops the process with `signal` and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same home (same socket, database and operator token). */
  restart(): Promise<void>;
  /** Kills it and removes the home. */
  dispose(): Promise<void>;
}

/** colibrid on a temp home through the one test harness (`startColibrid`). */
export async function startDaemon(args: readonly string[] = []): Promise<Daemon> {
  const colibrid = await startColibrid({ main: COLIBRID_MAIN, args, homePrefix: 'colibri-mother-' });
  return {
    home: colibrid.home,
    socketPath: colibrid.socketPath,
    operatorToken: colibrid.operatorToken,
    operator: colibrid.operator,
    client: (token) => colibrid.client(token),
    logs: colibrid.logs,
    stop: async (signal) => {
      await colibrid.stop(signal);
    },
    restart: colibrid.restart,
    dispose: colibrid.dispose,
  };
}

/**
 * A TCP listener relaying to the daemon's Unix socket (the socat bridge's job). `drop()` closes
 * the listener and cuts every open connection, as a dropped tailnet link would; `restore()`
 * listens again on the same port.
 */
export interface Bridge {
  readonly url: string;
  drop(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startBridge(socketPath: string): Promise<Bridge> {
  const open = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const next = createServer((client) => {
      const upstream = netConnect(socketPath);
      for (const socket of [client, upstream]) {
        open.add(socket);
        socket.on('close', () => open.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    const address = next.address();
    if (address === null || typeof address === 'string') throw new Error('bridge has no TCP address');
    port = address.port;
    server = next;
  };
  const drop = () =>
    new Promise<void>((resolve) => {
      const current = server;
      server = undefined;
      for (const socket of open) socket.destroy();
      if (current === undefined) resolve();
      else current.close(() => resolve());
    });
  await listen();
  return { url: `http://127.0.0.1:${port}`, drop, restore: listen, close: drop };
}

/** A temp directory of handlers and the files they coordinate through. */
export interface Workspace {
  readonly root: string;
  readonly handlersDir: string;
  readonly stateDir: string;
  /** Writes an executable handler: a shell script body (with `#!/bin/sh`) or a full script with its own `#!`. */
  handler(name: string, script: string): void;
  /** A path in the workspace (for release files, pid files, logs). */
  path(name: string): string;
  /** Creates `path(name)`: lets a gate handler waiting for it go on. */
  release(name: string): void;
  dispose(): void;
}

export function createWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'colibri-agent-'));
  const handlersDir = join(root, 'handlers');
  mkdirSync(handlersDir);
  const stateDir = join(root, 'state');
  return {
    root,
    handlersDir,
    stateDir,
    handler(name, script) {
      const file = join(handlersDir, name);
      writeFileSync(file, script.startsWith('#!') ? script : `#!/bin/sh\n${script}\n`);
      chmodSync(file, 0o755);
    },
    path: (name) => join(root, name),
    release: (name) => writeFileSync(join(root, name), ''),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * The `gate` handler (node): writes its pid to `payload.pidFile`, appends `start <task> <attempt>`
 * to `payload.log`, waits until the file `payload.release` exists, appends `end …`, and answers
 * JSON with what it saw.
 */
export const GATE_HANDLER = `#!${process.execPath}
const fs = require('node:fs');
const payload = JSON.parse(fs.readFileSync(0, 'utf8'));
const me = process.env.COLIBRI_TASK_ID + ' ' + process.env.COLIBRI_ATTEMPT;
if (payload.pidFile) fs.writeFileSync(payload.pidFile, String(process.pid));
if (payload.log) fs.appendFileSync(payload.log, 'start ' + me + '\\n');
const done = () => {
  if (payload.log) fs.appendFileSync(payload.log, 'end ' + me + '\\n');
  process.stdout.write(JSON.stringify({ value: payload.value ?? null, task: process.env.COLIBRI_TASK_ID, attempt: Number(process.env.COLIBRI_ATTEMPT) }));
};
const wait = () => (!payload.release || fs.existsSync(payload.release) ? done() : setTimeout(wait, 20));
wait();
`;

/** Records an agent's events and lets a test wait for one (resolved by the event itself, not a timer). */
export class EventLog {
  readonly events: AgentEvent[] = [];
  #waiters: { match: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }[] = [];

  readonly sink = (event: AgentEvent): void => {
    this.events.push(event);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(event)) return true;
      w.resolve(event);
      return false;
    });
  };

  /** The first event (past or future) matching `match`. */
  waitFor<T extends AgentEvent['type']>(
    type: T,
    match: (event: Extract<AgentEvent, { type: T }>) => boolean = () => true,
    ms = 30_000,
  ): Promise<Extract<AgentEvent, { type: T }>> {
    const test = (e: AgentEvent): boolean => e.type === type && match(e as Extract<AgentEvent, { type: T }>);
    const seen = this.events.find(test);
    if (seen !== undefined) return Promise.resolve(seen as Extract<AgentEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `gave up waiting for a ${type} event; saw:\n${this.events.map((e) => JSON.stringify(e)).join('\n')}`,
          ),
        );
      }, ms);
      this.#waiters.push({
        match: test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as Extract<AgentEvent, { type: T }>);
        },
      });
    });
  }

  /** Events of `type`, in order. */
  all<T extends AgentEvent['type']>(type: T): Extract<AgentEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<AgentEvent, { type: T }>[];
  }

  /** The index of the first event matching, or -1. */
  indexOf(match: (e: AgentEvent) => boolean): number {
    return this.events.findIndex(match);
  }
}

/**
 * Waits until `pid` has died (a signalled process is not gone the instant kill() returns, nor when
 * its pipes close); true once gone, false if it outlives the guard.
 */
export async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 500 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return !alive(pid);
}

/** True while `pid` is a live process (a zombie waiting for its reaper counts as gone). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
