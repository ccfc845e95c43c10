// Real colibri processes inside lab hosts: colibrid on its Unix socket, the bridge started by
// `colibri bridge --start`, and the CLI, each exactly as an operator would run them.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eventually, startColibrid } from '@colibri/test-harness';
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

/** The harness's `eventually` for a yes/no condition; on giving up, the error adds `detail()`. */
export async function waitUntil(
  what: string,
  ready: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  detail = () => '',
) {
  const gaveUp = `gave up waiting for ${what}`;
  try {
    await eventually(what, async () => ((await ready()) ? true : undefined), timeoutMs, 50);
  } catch (error) {
    if ((error as Error).message !== gaveUp) throw error;
    throw new Error(`timed out waiting for ${what}\n${detail()}`, { cause: error });
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

/** colibrid in a lab host (started through the host's `ip netns exec`) by the one test harness. */
export async function startLabDaemon(
  host: LabHost,
  extraArgs: readonly string[] = [],
  home?: string,
): Promise<LabDaemon> {
  const dir = home ?? mkdtempSync(join(tmpdir(), `colibri-lab-${host.name}-`));
  const colibrid = await startColibrid({
    main: COLIBRID_MAIN,
    home: dir,
    keepHome: true,
    args: extraArgs,
    env: { HOME: process.env.HOME ?? tmpdir() },
    spawn: (file, args, options) => host.spawn(file, args, options),
  });
  return {
    get child() {
      return colibrid.child;
    },
    output: colibrid.logs,
    exited: colibrid.exited,
    async stop(graceMs = 5_000) {
      await colibrid.stop('SIGTERM', graceMs);
    },
    async kill() {
      await colibrid.stop('SIGKILL');
    },
    home: dir,
    socket: colibrid.socketPath,
    operatorToken: colibrid.operatorToken,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
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
