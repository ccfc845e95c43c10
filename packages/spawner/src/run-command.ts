import { execa } from 'execa';
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

/**
 * Runs a program with an argv array (never through a shell), a minimal explicit environment and
 * a timeout; captures its output and never rejects: the caller decides what a failure means and
 * checks the resulting state instead of trusting the exit code alone.
 */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const result = await execa(file, args, {
    env: { ...(options.env ?? MINIMAL_COMMAND_ENV) },
    extendEnv: false,
    shell: false,
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    input: options.stdin ?? '',
    stripFinalNewline: false,
    windowsHide: true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  let stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (result.exitCode === undefined && !result.timedOut && stderr === '') {
    // It never started (ENOENT, EACCES) or died from a signal: execa's message says which.
    stderr = result.originalMessage ?? result.shortMessage ?? 'the command did not run';
  }
  return { exitCode: result.exitCode ?? -1, stdout, stderr, timedOut: result.timedOut === true };
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
