import { spawn } from 'node:child_process';
import { MINIMAL_COMMAND_ENV } from './minimal-command-env.js';

/** What a finished command printed and how it ended. */
export interface CommandResult {
  /** The exit code; -1 when the command could not start, timed out or died from a signal. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it was killed for running longer than `timeoutMs`. */
  readonly timedOut: boolean;
}

/** Options of one command run. */
export interface RunCommandOptions {
  /** The child's WHOLE environment: nothing is inherited (default: a fixed system PATH and LANG). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the child after this long (a failure guard, default 60 s). */
  readonly timeoutMs?: number;
  /** Text or bytes for stdin; stdin is empty otherwise, so the child can never wait on a prompt. */
  readonly stdin?: string | Uint8Array;
  /** Run as this uid/gid (the caller must be root). */
  readonly uid?: number;
  readonly gid?: number;
}

export { MINIMAL_COMMAND_ENV };

/** After the timeout's SIGTERM, how long the command may take before SIGKILL. */
const FORCE_KILL_AFTER_MS = 2_000;

/**
 * Runs a program with an argv array (never through a shell), a minimal explicit environment and
 * a timeout (SIGTERM, then SIGKILL); captures its output and never rejects: the caller decides
 * what a failure means and checks the resulting state instead of trusting the exit code alone.
 * node:child_process, not execa: spawn-agent loads this on every start, and execa's module tree
 * costs it tens of milliseconds.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    let settled = false;
    /** `why`: the reason to report when the command printed nothing (it never ran, or a signal). */
    const finish = (exitCode: number, why?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(forceKill);
      const err = Buffer.concat(stderr).toString('utf8');
      resolve({
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: err === '' && why !== undefined && !timedOut ? why : err,
        timedOut,
      });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, [...args], {
        env: { ...(options.env ?? MINIMAL_COMMAND_ENV) },
        shell: false,
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      });
    } catch (error) {
      finish(-1, `${file}: ${(error as Error).message}`);
      return;
    }
    timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
    }, options.timeoutMs ?? 60_000);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Empty unless given, so the child can never wait on a prompt; a child that exits without
    // reading it must not fail the run (EPIPE).
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
    child.once('error', (error) => finish(-1, `${file}: ${error.message}`));
    child.once('close', (code, signal) =>
      finish(code ?? -1, signal === null ? undefined : `${file} was killed by ${signal}`),
    );
  });
}

/** The first `count` non-empty lines of `text`, for error messages that quote a command's output. */
export function firstLines(text: string, count = 5): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(0, count)
    .join(' | ');
}
