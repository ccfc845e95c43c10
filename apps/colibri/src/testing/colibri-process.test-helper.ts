import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI's entry point, run as a real process (the built dist + oclif manifest). */
export const COLIBRI_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** colibrid's entry point, resolved through the workspace dependency so turbo builds it first. */
export const COLIBRID_MAIN = join(
  dirname(createRequire(import.meta.url).resolve('@colibri/daemon/package.json')),
  'dist',
  'main.js',
);

/** What a finished CLI process left behind. */
export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A clean environment: nothing of the caller's COLIBRI_* leaks into the process under test. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...extra };
}

/** Runs `colibri ...args` as a real process and resolves when it exits. */
export function runColibri(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [COLIBRI_BIN, ...args],
      { env, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** A running colibrid on a temp COLIBRI_HOME, with a CLI runner pointed at it. */
export interface Hive {
  readonly home: string;
  readonly socket: string;
  /** The operator token the daemon wrote on first start. */
  readonly operatorToken: string;
  /** Runs the CLI with COLIBRI_HOME = this hive's home (so the operator token file is the default) plus `env`. */
  colibri(args: readonly string[], env?: Record<string, string>): Promise<RunResult>;
  /** Like {@link Hive.colibri} with `--json`; fails the test unless it exits 0 with JSON on stdout. */
  json<T = Record<string, unknown>>(args: readonly string[], env?: Record<string, string>): Promise<T>;
  /** Stops the daemon and removes the home. */
  stop(): Promise<void>;
}

async function waitFor(what: string, ready: () => boolean, daemon: ChildProcess, log: () => string) {
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) {
      throw new Error(`colibrid exited (${daemon.exitCode ?? daemon.signalCode}) before ${what}:\n${log()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts the real daemon (`node apps/daemon/dist/main.js --home <tmp>`) and waits for its socket and token. */
export async function startHive(): Promise<Hive> {
  const home = mkdtempSync(join(tmpdir(), 'colibri-cli-e2e-'));
  const socket = join(home, 'colibri.sock');
  const tokenFile = join(home, 'operator.token');
  let output = '';
  const daemon = spawn(process.execPath, [COLIBRID_MAIN, '--home', home], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  daemon.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  try {
    await waitFor(
      'its socket and operator token',
      () => existsSync(socket) && existsSync(tokenFile),
      daemon,
      () => output,
    );
  } catch (error) {
    daemon.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const operatorToken = readFileSync(tokenFile, 'utf8').trim();
  const colibri = (args: readonly string[], env: Record<string, string> = {}) =>
    runColibri(args, cleanEnv({ COLIBRI_HOME: home, ...env }));
  return {
    home,
    socket,
    operatorToken,
    colibri,
    async json<T>(args: readonly string[], env: Record<string, string> = {}): Promise<T> {
      const result = await colibri([...args, '--json'], env);
      if (result.status !== 0) {
        throw new Error(
          `colibri ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`,
        );
      }
      return JSON.parse(result.stdout) as T;
    },
    async stop() {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGTERM');
        const timer = setTimeout(() => daemon.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP listener on 127.0.0.1 that relays each connection to a Unix socket: the socat bridge's
 * job (`socat TCP-LISTEN:…,bind=…,fork UNIX-CONNECT:…`), without needing socat installed.
 */
export async function startTcpBridge(socketPath: string): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect(socketPath);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bridge has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
