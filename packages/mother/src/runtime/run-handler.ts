import { spawn } from 'node:child_process';
import type { ErrorCode } from '@colibri/errors';

export interface RunHandlerOptions {
  /** The handler's real path (from `resolveHandler`). */
  readonly executable: string;
  /** Written to its stdin, then stdin is closed: the task payload as JSON. */
  readonly input: string;
  /** Its whole environment: nothing is inherited implicitly. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** After this, the process group gets SIGTERM, then SIGKILL after `killGraceMs`. */
  readonly timeoutMs: number;
  /** Between SIGTERM and SIGKILL. Default 2000. */
  readonly killGraceMs?: number;
  /** The most stdout kept; more stops the handler and fails the task. Default 1 MiB. */
  readonly maxOutputBytes?: number;
  /** How much of the end of stderr a failure reports. Default 4 KiB. */
  readonly stderrTailBytes?: number;
  /**
   * How much of the end of stderr is kept raw for the outcome's `stderr` (at least
   * `stderrTailBytes`). Default `stderrTailBytes`.
   */
  readonly stderrKeepBytes?: number;
  /** Aborting stops the handler at once (SIGTERM, then SIGKILL after the grace): a drain ran out of time. */
  readonly signal?: AbortSignal;
}

/** What a failed run reports as the task's result, beside the error text. */
export interface HandlerFailureDetails {
  readonly code: ErrorCode;
  /** The exit code, or null when a signal ended it or it never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last `stderrTailBytes` of stderr. */
  readonly stderr: string;
}

/** How a handler run ended. */
export type HandlerOutcome =
  | {
      readonly status: 'done';
      /** stdout parsed as JSON when it is JSON, else `{ stdout: "<text>" }`. */
      readonly result: unknown;
      /** The last `stderrKeepBytes` of stderr, raw (not yet scrubbed). */
      readonly stderr: Buffer;
    }
  | {
      readonly status: 'failed';
      readonly reason: string;
      readonly details: HandlerFailureDetails;
      /** The last `stderrKeepBytes` of stderr, raw (not yet scrubbed). */
      readonly stderr: Buffer;
    }
  /** Stopped through `signal`: no report is due, the caller hands the task back. */
  | { readonly status: 'aborted' };

const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const DEFAULT_STDERR_TAIL_BYTES = 4096;

/** stdout as the task's result: JSON when it parses, else the text. */
function toResult(stdout: string): unknown {
  if (stdout.trim() !== '') {
    try {
      return JSON.parse(stdout) as unknown;
    } catch {
      // Not JSON: reported as text.
    }
  }
  return { stdout };
}

/** Signals the whole process group `pgid`; a group that is already gone is fine. */
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: every member has exited.
  }
}

/**
 * Runs one handler to completion and never throws: the payload on stdin, stdout (capped) as the
 * result, a time limit, and a clean kill of everything it started.
 *
 * node:child_process rather than execa: the handler is spawned `detached` so it leads its own
 * process group, and every stop signals that group (`kill(-pgid)`), so a grandchild it left
 * running (`sleep 1000 &`) dies with it; execa's timeout and maxBuffer kill only the direct child.
 * When the handler exits the group is SIGKILLed too: no background process outlives its task (and
 * none holds the output pipe open). A process that leaves the group on purpose (`setsid`) escapes;
 * the jail is the boundary for that.
 */
export function runHandler(options: RunHandlerOptions): Promise<HandlerOutcome> {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stderrTailBytes = options.stderrTailBytes ?? DEFAULT_STDERR_TAIL_BYTES;
  const stderrKeepBytes = Math.max(stderrTailBytes, options.stderrKeepBytes ?? stderrTailBytes);
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrTail = Buffer.alloc(0);
    let stopping: 'timeout' | 'output' | 'aborted' | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let startError: Error | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(options.executable, [], {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pgid = child.pid;

    const stop = (why: 'timeout' | 'output' | 'aborted') => {
      if (stopping !== undefined || exit !== undefined || pgid === undefined) return;
      stopping = why;
      killGroup(pgid, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(pgid, 'SIGKILL'), killGraceMs));
    };
    const onAbort = () => stop('aborted');

    const finish = () => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome());
    };

    const outcome = (): HandlerOutcome => {
      const failed = (code: ErrorCode, reason: string): HandlerOutcome => ({
        status: 'failed',
        reason,
        details: {
          code,
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stderr: stderrTail.subarray(Math.max(0, stderrTail.length - stderrTailBytes)).toString('utf8'),
        },
        stderr: stderrTail,
      });
      if (stopping === 'aborted') return { status: 'aborted' };
      if (startError !== undefined) {
        return failed('COLIBRI_HANDLER_FAILED', `handler could not be started: ${startError.message}`);
      }
      if (stopping === 'timeout') {
        return failed(
          'COLIBRI_HANDLER_TIMEOUT',
          `handler did not finish within ${seconds(options.timeoutMs)}: its process group was stopped`,
        );
      }
      if (stopping === 'output') {
        return failed(
          'COLIBRI_HANDLER_FAILED',
          `handler wrote more than ${maxOutputBytes} bytes to stdout (the agent's output limit): it was stopped; write large results to storage and return a reference`,
        );
      }
      if (exit?.code === 0)
        return {
          status: 'done',
          result: toResult(Buffer.concat(stdout).toString('utf8')),
          stderr: stderrTail,
        };
      return failed(
        'COLIBRI_HANDLER_FAILED',
        exit?.code !== null && exit?.code !== undefined
          ? `handler exited with code ${exit.code}`
          : `handler was killed by ${exit?.signal ?? 'a signal'}`,
      );
    };

    child.on('error', (error) => {
      // Spawning failed (ENOENT, EACCES…): no 'exit' follows; 'close' may.
      startError = error;
      if (pgid === undefined) finish();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopping === 'output') return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxOutputBytes) {
        stdout.length = 0;
        stop('output');
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([stderrTail, chunk]);
      stderrTail =
        joined.length > stderrKeepBytes ? joined.subarray(joined.length - stderrKeepBytes) : joined;
    });
    // A handler that never reads its stdin closes the pipe under us: not an error of the run.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);

    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (pgid !== undefined) killGroup(pgid, 'SIGKILL');
      // The group is gone, so the pipes close now; a process that escaped the group (setsid) and
      // kept them open must not hold the task forever.
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, killGraceMs),
      );
    });
    child.on('close', finish);

    if (pgid !== undefined) {
      timers.push(setTimeout(() => stop('timeout'), options.timeoutMs));
      if (options.signal?.aborted) stop('aborted');
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    }
  });
}
