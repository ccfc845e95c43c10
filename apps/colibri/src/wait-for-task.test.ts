import type { ApiTask, ShowTaskResponse } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { waitForTask } from './wait-for-task.js';

/** A fake daemon whose task walks through `statuses`, one per read, and a clock moved only by sleeps. */
function fake(statuses: ApiTask['status'][]) {
  let clock = 0;
  const reads: number[] = [];
  const sleeps: number[] = [];
  const client = {
    async showTask(taskId: string): Promise<ShowTaskResponse> {
      reads.push(clock);
      const status = statuses[Math.min(reads.length - 1, statuses.length - 1)]!;
      return { task: { id: taskId, status } as ApiTask, events: [], stderrTail: null };
    },
  };
  const options = {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return { client, options, reads, sleeps };
}

describe('waitForTask', () => {
  it('reads until the task is terminal, pausing 100 ms doubling to 1 s', async () => {
    const { client, options, sleeps } = fake([
      'assigned',
      'running',
      'running',
      'running',
      'running',
      'running',
      'done',
    ]);
    const shown = await waitForTask(client, 't1', options);
    expect(shown.task.status).toBe('done');
    expect(sleeps).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it.each(['failed', 'cancelled', 'done'] as const)('returns a %s task at once', async (status) => {
    const { client, options, reads } = fake([status]);
    expect((await waitForTask(client, 't1', options)).task.status).toBe(status);
    expect(reads).toHaveLength(1);
  });

  it('gives up after the timeout with COLIBRI_WAIT_TIMEOUT naming the task and its status', async () => {
    const { client, options, sleeps } = fake(['parked']);
    await expect(waitForTask(client, 't9', { ...options, timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'COLIBRI_WAIT_TIMEOUT',
      message: 'task t9 is still parked after 1 s; it goes on without you: colibri show-task t9',
      details: { taskId: 't9', status: 'parked' },
    });
    // Never sleeps past the deadline.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
