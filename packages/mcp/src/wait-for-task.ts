import type { ShowTaskResponse } from '@colibri/api';
import { TERMINAL_TASK_STATUSES } from '@colibri/protocol';
import type { HivePort } from './hive-port.js';

/** How a wait ended: the task's end (`finished`), or the time ran out with the task still going. */
export interface WaitOutcome {
  readonly finished: boolean;
  readonly shown: ShowTaskResponse;
  readonly waitedMs: number;
}

export interface WaitForTaskOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Told of each status the task is seen in, and every few seconds while nothing changes. */
  readonly onProgress?: (shown: ShowTaskResponse, waitedMs: number) => Promise<void>;
  /** The first pause between reads, doubled up to `maxIntervalMs`. Default 100 ms. */
  readonly intervalMs?: number;
  /** Default 1000 ms. */
  readonly maxIntervalMs?: number;
}

/** Resolves after `ms`, or at once when `signal` is aborted (then rejects with its reason). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const PROGRESS_EVERY_MS = 5000;

/**
 * Reads the task until it is done, failed or cancelled, or `timeoutMs` has passed. The daemon has
 * no push for a task's end, so it reads again after 100 ms, doubling up to 1 s (a quick task answers
 * fast, a long one costs one request a second). Stops at once when `signal` is aborted (the client
 * cancelled): rejects with the signal's reason.
 */
export async function waitForTask(
  hive: HivePort,
  taskId: string,
  options: WaitForTaskOptions,
): Promise<WaitOutcome> {
  const started = Date.now();
  const maxIntervalMs = options.maxIntervalMs ?? 1000;
  let intervalMs = options.intervalMs ?? 100;
  let lastStatus: string | undefined;
  let lastProgressAt = 0;
  for (;;) {
    options.signal.throwIfAborted();
    const shown = await hive.showTask(taskId);
    const waitedMs = Date.now() - started;
    if (TERMINAL_TASK_STATUSES.has(shown.task.status)) return { finished: true, shown, waitedMs };
    if (options.onProgress !== undefined) {
      const changed = `${shown.task.status}/${shown.task.attempt}` !== lastStatus;
      if (changed || Date.now() - lastProgressAt >= PROGRESS_EVERY_MS) {
        lastStatus = `${shown.task.status}/${shown.task.attempt}`;
        lastProgressAt = Date.now();
        await options.onProgress(shown, waitedMs);
      }
    }
    const left = options.timeoutMs - waitedMs;
    if (left <= 0) return { finished: false, shown, waitedMs };
    await sleep(Math.min(intervalMs, left), options.signal);
    intervalMs = Math.min(maxIntervalMs, intervalMs * 2);
  }
}
