import { describe, expect, it } from 'vitest';
import { PollWaiters } from './poll-waiters.js';

describe('PollWaiters', () => {
  it('a wake between register and wait is not lost', async () => {
    const waiters = new PollWaiters();
    const waiter = waiters.register('a');
    waiters.wake('a');
    await waiter.until(60_000); // resolves at once; the test would time out otherwise
    waiter.cancel();
    expect(waiters.size).toBe(0);
  });

  it('wakes only the named agent; wakeAll wakes everyone, now and later', async () => {
    const waiters = new PollWaiters();
    const a = waiters.register('a');
    const b = waiters.register('b');
    let bDone = false;
    const bWait = b.until(60_000).then(() => {
      bDone = true;
    });
    waiters.wake('a');
    await a.until(60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(bDone).toBe(false);
    waiters.wakeAll();
    await bWait;
    await waiters.register('c').until(60_000);
    expect(waiters.closed).toBe(true);
  });

  it('recheckAll wakes every waiting poll once, without closing', async () => {
    const waiters = new PollWaiters();
    const a = waiters.register('a');
    const b = waiters.register('b');
    const waiting = Promise.all([a.until(60_000), b.until(60_000)]);
    waiters.recheckAll();
    await waiting; // both resolve at once; the test would time out otherwise
    a.cancel();
    b.cancel();
    expect(waiters.closed).toBe(false);
    let later = false;
    const c = waiters.register('c');
    const cWait = c.until(60_000).then(() => {
      later = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(later).toBe(false);
    waiters.wake('c');
    await cWait;
    c.cancel();
  });

  it('times out when nobody wakes it', async () => {
    const waiter = new PollWaiters().register('a');
    await waiter.until(10);
    waiter.cancel();
  });

  it("claimFor spends a waiting claiming poll's budget; a claim is announced until acknowledged", async () => {
    const waiters = new PollWaiters();
    expect(waiters.claimFor('a')).toBe(false);
    const plain = waiters.register('a');
    expect(waiters.claimFor('a')).toBe(false);
    plain.cancel();
    const claiming = waiters.register('a', 1);
    expect(waiters.claimFor('a')).toBe(true);
    expect(waiters.claimFor('a')).toBe(false); // budget spent
    waiters.assigned('a', { id: 't1', attempt: 1, status: 'running' });
    await claiming.until(60_000); // woken at once
    claiming.cancel();
    expect(waiters.claimFor('a')).toBe(false); // nobody waits any more
    const running = [{ id: 't1', attempt: 1 }];
    expect(waiters.unannounced('a', running, new Set())).toEqual([{ taskId: 't1', attempt: 1 }]);
    expect(waiters.unannounced('a', running, new Set())).toEqual([{ taskId: 't1', attempt: 1 }]);
    expect(waiters.unannounced('a', running, new Set(['t1#1']))).toEqual([]);
    expect(waiters.hasUnannounced('a')).toBe(false);
    // Without `holding` the poll cannot acknowledge: announced once. A task that moved on is dropped.
    waiters.rememberClaim('a', 't2', 1);
    waiters.rememberClaim('a', 't3', 1);
    expect(waiters.unannounced('a', [{ id: 't2', attempt: 1 }], undefined)).toEqual([
      { taskId: 't2', attempt: 1 },
    ]);
    expect(waiters.hasUnannounced('a')).toBe(false);
    expect(waiters.size).toBe(0);
  });

  it("counts an agent's claims not acknowledged, and forgets a claim whose task left the agent", () => {
    const waiters = new PollWaiters();
    waiters.rememberClaim('a', 't1', 1);
    waiters.rememberClaim('a', 't2', 1);
    waiters.rememberClaim('b', 't3', 1);
    expect(waiters.unannouncedCount('a', undefined)).toBe(2);
    expect(waiters.unannouncedCount('a', new Set(['t1#1']))).toBe(1);
    waiters.forgetClaim('a', 't1', 2); // another attempt: not this claim
    expect(waiters.unannouncedCount('a', undefined)).toBe(2);
    waiters.forgetClaim('a', 't1', 1);
    expect(waiters.unannouncedCount('a', undefined)).toBe(1);
    waiters.forgetClaim('a', 't2', 1);
    expect(waiters.hasUnannounced('a')).toBe(false);
    expect(waiters.unannouncedCount('a', undefined)).toBe(0);
    expect(waiters.unannounced('b', [{ id: 't3', attempt: 1 }], undefined)).toEqual([
      { taskId: 't3', attempt: 1 },
    ]);
  });

  it('an abort ends the wait and the waiter stops listening; several polls of one agent all wake', async () => {
    const waiters = new PollWaiters();
    const controller = new AbortController();
    const first = waiters.register('a');
    const second = waiters.register('a');
    expect(waiters.size).toBe(2);
    const aborted = first.until(60_000, controller.signal);
    controller.abort();
    await aborted; // resolves at once; the test would time out otherwise
    first.cancel();
    const woken = second.until(60_000);
    waiters.wake('a');
    await woken;
    second.cancel();
    expect(waiters.size).toBe(0);
    // Already aborted: no wait at all.
    await waiters.register('b').until(60_000, controller.signal);
  });
});
