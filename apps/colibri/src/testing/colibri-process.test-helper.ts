import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startColibrid } from '@colibri/test-harness';

/** The CLI's entry point, run as a real process (the built dist + oclif manifest). */
export const COLIBRI_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** The light `run-agent` entry (the built bundle) the linux jail driver starts instead of the CLI. */
export const RUN_AGENT_BUNDLE = fileURLToPath(new URL('../../dist/run-agent.bundle.cjs', import.meta.url));

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

/** Runs `colibri ...args` (or another `entry` script) as a real process and resolves when it exits. */
export function runColibri(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  entry: string = COLIBRI_BIN,
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
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

/**
 * Starts the real daemon (`node apps/daemon/dist/main.js --home <tmp>`) through the one test
 * harness (`startColibrid`) and waits until it answers.
 */
export async function startHive(): Promise<Hive> {
  const colibrid = await startColibrid({
    main: COLIBRID_MAIN,
    homePrefix: 'colibri-cli-e2e-',
    env: { HOME: process.env.HOME ?? tmpdir() },
  });
  const { home, operatorToken } = colibrid;
  const colibri = (args: readonly string[], env: Record<string, string> = {}) =>
    runColibri(args, cleanEnv({ COLIBRI_HOME: home, ...env }));
  return {
    home,
    socket: colibrid.socketPath,
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
      await colibrid.stop('SIGTERM', 5_000);
      await colibrid.dispose();
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
