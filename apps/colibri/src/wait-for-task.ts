import type { ShowTaskResponse } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import { TERMINAL_TASK_STATUSES } from '@colibri/protocol';

export interface WaitForTaskOptions {
  /** Give up after this long, in ms; undefined = wait as long as it takes. */
  readonly timeoutMs?: number | undefined;
  /** The first pause between reads, doubled up to `maxIntervalMs`. Default 100. */
  readonly intervalMs?: number;
  /** Default 1000. */
  readonly maxIntervalMs?: number;
  /** Injected for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Reads the task until it is done, failed or cancelled, and returns it with its event log. The
 * daemon has no push for a task's end, so it reads again after 100 ms, doubling up to 1 s: a quick
 * sub-task answers fast, a long one costs one request a second. Throws `COLIBRI_WAIT_TIMEOUT`
 * naming the task and its status when `timeoutMs` runs out (the task itself goes on).
 */
export async function waitForTask(
  client: Pick<ColibriClient, 'showTask'>,
  taskId: string,
  options: WaitForTaskOptions = {},
): Promise<ShowTaskResponse> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxIntervalMs = options.maxIntervalMs ?? 1000;
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + options.timeoutMs;
  let intervalMs = options.intervalMs ?? 100;
  for (;;) {
    const shown = await client.showTask(taskId);
    if (TERMINAL_TASK_STATUSES.has(shown.task.status)) return shown;
    const left = deadline - now();
    if (left <= 0) {
      throw new ColibriError(
        'COLIBRI_WAIT_TIMEOUT',
        `task ${taskId} is still ${shown.task.status} after ${Math.round((options.timeoutMs ?? 0) / 1000)} s; ` +
          `it goes on without you: colibri show-task ${taskId}`,
        { taskId, status: shown.task.status },
      );
    }
    await sleep(Math.min(intervalMs, left));
    intervalMs = Math.min(maxIntervalMs, intervalMs * 2);
  }
}
