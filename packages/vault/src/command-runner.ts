import { execa } from 'execa';

/** What a finished command printed and how it ended. */
export interface CommandResult {
  /** The exit code; -1 when the command could not start, timed out or died from a signal. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it was killed for running longer than `timeoutMs`. */
  readonly timedOut?: boolean;
}

/** Options of one command run. */
export interface CommandRunOptions {
  /** The child's WHOLE environment: nothing is inherited from this process. */
  readonly env: Readonly<Record<string, string>>;
  /** Kill the child after this long. */
  readonly timeoutMs: number;
  /** Text for its stdin; stdin is closed (empty) otherwise, so the child can never wait on a prompt. */
  readonly stdin?: string;
}

/**
 * Runs a program with an argv array (never through a shell) and an explicit environment. The
 * Bitwarden source runs `bw` only through this port, so tests can script bw's behaviour.
 */
export interface CommandRunner {
  run(file: string, args: readonly string[], options: CommandRunOptions): Promise<CommandResult>;
}

/** The real runner: execa, no shell, no inherited environment, never rejects. */
export function createExecaRunner(): CommandRunner {
  return {
    async run(file, args, options) {
      const result = await execa(file, args, {
        env: options.env,
        extendEnv: false,
        shell: false,
        reject: false,
        timeout: options.timeoutMs,
        input: options.stdin ?? '',
        stripFinalNewline: false,
        windowsHide: true,
      });
      const stdout = typeof result.stdout === 'string' ? result.stdout : '';
      let stderr = typeof result.stderr === 'string' ? result.stderr : '';
      if (result.exitCode === undefined && !result.timedOut && stderr === '') {
        // It never started (e.g. ENOENT) or died from a signal: execa's message says which, and
        // names only the file and the argv, which never hold a secret.
        stderr = result.originalMessage ?? result.shortMessage ?? 'the command did not run';
      }
      return {
        exitCode: result.exitCode ?? -1,
        stdout,
        stderr,
        ...(result.timedOut ? { timedOut: true } : {}),
      };
    },
  };
}
