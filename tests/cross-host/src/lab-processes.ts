// Real colibri processes inside lab hosts: colibrid on its Unix socket, the bridge started by
// `colibri bridge --start`, and the CLI, each exactly as an operator would run them.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LabHost } from './network-lab.js';

const require = createRequire(import.meta.url);
export const COLIBRID_MAIN = join(
  dirname(require.resolve('@colibri/daemon/package.json')),
  'dist',
  'main.js',
);
export const COLIBRI_BIN = join(dirname(require.resolve('@colibri/cli/package.json')), 'bin', 'run.js');

/** A minimal environment: nothing of the caller's COLIBRI_* leaks in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...extra };
}

/** A started process with its captured output and a way to stop it for good. */
export interface LabProcess {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now. */
  kill(): Promise<void>;
  exited(): boolean;
}

export function track(child: ChildProcess): LabProcess {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => output,
    exited,
    async stop(graceMs = 5_000) {
      if (exited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
    async kill() {
      if (exited()) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}

export async function waitUntil(
  what: string,
  ready: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  detail = () => '',
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** colibrid running in a lab host on a fresh home, reachable on its socket. */
export interface LabDaemon extends LabProcess {
  readonly home: string;
  readonly socket: string;
  readonly operatorToken: string;
  /** Removes the home (after stop). */
  cleanup(): void;
}

export async function startLabDaemon(
  host: LabHost,
  extraArgs: readonly string[] = [],
  home?: string,
): Promise<LabDaemon> {
  const dir = home ?? mkdtempSync(join(tmpdir(), `colibri-lab-${host.name}-`));
  const socket = join(dir, 'colibri.sock');
  const tokenFile = join(dir, 'operator.token');
  const proc = track(
    host.spawn(process.execPath, [COLIBRID_MAIN, '--home', dir, ...extraArgs], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  await waitUntil(
    `colibrid in ${host.name} to listen`,
    async () => {
      if (proc.exited()) throw new Error(`colibrid in ${host.name} exited:\n${proc.output()}`);
      return existsSync(tokenFile) && (await socketAnswers(socket));
    },
    30_000,
    proc.output,
  );
  return {
    ...proc,
    home: dir,
    socket,
    operatorToken: readFileSync(tokenFile, 'utf8').trim(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(false);
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `colibri bridge --address A --port P --start` in the hub, waiting until the port accepts. */
export async function startLabBridge(hub: LabHost, daemon: LabDaemon, port: number): Promise<LabProcess> {
  const proc = track(
    hub.spawn(
      process.execPath,
      [
        COLIBRI_BIN,
        'bridge',
        '--home',
        daemon.home,
        '--address',
        hub.address,
        '--port',
        String(port),
        '--start',
      ],
      {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  await waitUntil(
    'the bridge to listen',
    async () => {
      if (proc.exited()) throw new Error(`the bridge exited:\n${proc.output()}`);
      const { stdout } = await hub.exec('ss', ['-Htln', `sport = :${port}`]);
      return stdout.includes(`${hub.address}:${port}`);
    },
    20_000,
    proc.output,
  );
  return proc;
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI inside a lab host (its network), with only the given environment. */
export async function colibriIn(
  host: LabHost,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await host.exec(process.execPath, [COLIBRI_BIN, ...args], {
      env: cleanEnv(env),
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      status: typeof failure.code === 'number' ? failure.code : null,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? '',
    };
  }
}
