import type { ApiTask, ShowTaskResponse } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import type { HivePort } from './hive-port.js';
import { waitForTask } from './wait-for-task.js';

function taskIn(status: ApiTask['status'], attempt = 1): ShowTaskResponse {
  return {
    task: {
      id: 't1',
      title: 't',
      payload: null,
      requiredCapabilities: [],
      skill: null,
      status,
      tenant: null,
      assignedAgentId: status === 'parked' ? null : 'a1',
      priority: 0,
      attempt,
      maxAttempts: 3,
      leaseExpiresAt: null,
      result: status === 'done' ? { ok: true } : null,
      error: null,
      createdAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:00:00.000Z',
      retryBackoffMs: null,
      notBefore: null,
      idempotencyKey: null,
      expiresAt: null,
    },
    events: [],
    stderrTail: null,
  };
}

/** A port whose showTask answers each of `states` in turn (the last one forever). */
function hiveThrough(states: ShowTaskResponse[]): HivePort & { reads: number } {
  const port = {
    reads: 0,
    showTask: async () => states[Math.min(port.reads++, states.length - 1)]!,
  };
  return port as unknown as HivePort & { reads: number };
}

describe('waitForTask', () => {
  it('reads until the task ends, telling each new status once', async () => {
    const hive = hiveThrough([
      taskIn('parked'),
      taskIn('assigned'),
      taskIn('assigned'),
      taskIn('running'),
      taskIn('done'),
    ]);
    const seen: string[] = [];
    const outcome = await waitForTask(hive, 't1', {
      timeoutMs: 10_000,
      signal: new AbortController().signal,
      intervalMs: 1,
      maxIntervalMs: 2,
      onProgress: async (shown) => {
        seen.push(shown.task.status);
      },
    });
    expect(outcome.finished).toBe(true);
    expect(outcome.shown.task.result).toEqual({ ok: true });
    expect(seen).toEqual(['parked', 'assigned', 'running']);
    expect(hive.reads).toBe(5);
  });

  it('gives up after the timeout with the task as last read', async () => {
    const outcome = await waitForTask(hiveThrough([taskIn('running')]), 't1', {
      timeoutMs: 30,
      signal: new AbortController().signal,
      intervalMs: 5,
      maxIntervalMs: 5,
    });
    expect(outcome).toMatchObject({ finished: false, shown: { task: { status: 'running' } } });
  });

  it('stops at once when the signal is aborted, even mid-pause', async () => {
    const controller = new AbortController();
    const hive = hiveThrough([taskIn('parked')]);
    const waiting = waitForTask(hive, 't1', {
      timeoutMs: 60_000,
      signal: controller.signal,
      intervalMs: 50_000,
    });
    setTimeout(() => controller.abort(new Error('client cancelled')), 10);
    await expect(waiting).rejects.toThrow('client cancelled');
    expect(hive.reads).toBe(1);
  });
});
