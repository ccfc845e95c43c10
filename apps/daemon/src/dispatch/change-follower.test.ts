import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { ChangeFollower, type FollowedDispatcher } from './change-follower.js';
import { PollWaiters } from './poll-waiters.js';

const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';
const A1 = '00000000-0000-4000-8000-0000000000a1';

/** Records what the follower asks of the dispatcher, in order. */
function fakeDispatcher(fail: ReadonlySet<string> = new Set()) {
  const calls: string[] = [];
  const step = async (call: string) => {
    calls.push(call);
    if (fail.has(call)) throw new Error(`${call} failed`);
  };
  const dispatcher: FollowedDispatcher = {
    waiters: new PollWaiters(),
    agentNoticed: (id) => step(`agent ${id}`).then(() => 0),
    retryParked: (id) => step(`parked ${id}`),
    taskNotParked: (id) => {
      calls.push(`not parked ${id}`);
    },
    refreshLoads: () => step('loads'),
    sweep: () => step('sweep').then(() => 0),
  };
  return { dispatcher, calls };
}

function fakeLogger() {
  const lines: { level: string; fields: unknown; message: string }[] = [];
  const log = (level: string) => (fields: unknown, message: string) => lines.push({ level, fields, message });
  return { logger: { info: log('info'), warn: log('warn') } as unknown as Logger, lines };
}

describe('ChangeFollower', () => {
  it('wakes the long polls of the agent a task was assigned to, at once', async () => {
    const { dispatcher } = fakeDispatcher();
    const follower = new ChangeFollower(dispatcher, fakeLogger().logger);
    const waiter = dispatcher.waiters.register(A1);
    follower.handle({ kind: 'task', taskId: T1, status: 'assigned', agentId: A1 });
    await waiter.until(60_000); // resolves at once; the test would time out otherwise
    waiter.cancel();
    await follower.idle();
  });

  it('takes a task that is no longer parked out of the index at once, before the batch', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const follower = new ChangeFollower(dispatcher, fakeLogger().logger);
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    follower.handle({ kind: 'task', taskId: T2, status: 'cancelled', agentId: null });
    expect(calls).toEqual([`not parked ${T2}`]);
    await follower.idle();
    expect(calls).toEqual([`not parked ${T2}`, 'loads', `parked ${T1}`]);
  });

  it('coalesces a burst: agents first, loads once, each parked task once', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const follower = new ChangeFollower(dispatcher, fakeLogger().logger);
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    follower.handle({ kind: 'task', taskId: T2, status: 'parked', agentId: null });
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    follower.handle({ kind: 'agent', agentId: A1, status: 'idle', what: 'registered' });
    follower.handle({ kind: 'agent', agentId: A1, status: 'active', what: 'status' });
    await follower.idle();
    expect(calls).toEqual([`agent ${A1}`, 'loads', `parked ${T1}`, `parked ${T2}`]);
  });

  it('a change that arrives while a batch runs is acted on in the next batch', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const follower = new ChangeFollower(dispatcher, fakeLogger().logger);
    const original = dispatcher.retryParked;
    dispatcher.retryParked = async (id) => {
      if (id === T1) follower.handle({ kind: 'task', taskId: T2, status: 'parked', agentId: null });
      return original(id);
    };
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    await follower.idle();
    expect(calls).toEqual(['loads', `parked ${T1}`, 'loads', `parked ${T2}`]);
  });

  it('a resync wakes every long poll and runs the sweep instead of the pending work', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const { logger, lines } = fakeLogger();
    const follower = new ChangeFollower(dispatcher, logger);
    const waiter = dispatcher.waiters.register(A1);
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    follower.handle({ kind: 'resync', reason: 'reconnected' });
    await waiter.until(60_000);
    waiter.cancel();
    await follower.idle();
    expect(calls).toEqual(['sweep']);
    expect(dispatcher.waiters.closed).toBe(false);
    expect(lines).toEqual([
      {
        level: 'info',
        fields: { reason: 'reconnected' },
        message: 'change feed back: resyncing from the store',
      },
    ]);
  });

  it('logs a failed step and goes on with the rest', async () => {
    const { dispatcher, calls } = fakeDispatcher(new Set([`parked ${T1}`]));
    const { logger, lines } = fakeLogger();
    const follower = new ChangeFollower(dispatcher, logger);
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    follower.handle({ kind: 'task', taskId: T2, status: 'parked', agentId: null });
    await follower.idle();
    expect(calls).toEqual(['loads', `parked ${T1}`, `parked ${T2}`]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      fields: { change: 'task', id: T1 },
      message: 'acting on a store change failed; the safety sweep will catch up',
    });
  });

  it('ignores changes once closed', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const follower = new ChangeFollower(dispatcher, fakeLogger().logger);
    await follower.close();
    follower.handle({ kind: 'task', taskId: T1, status: 'parked', agentId: null });
    await follower.idle();
    expect(calls).toEqual([]);
  });
});
