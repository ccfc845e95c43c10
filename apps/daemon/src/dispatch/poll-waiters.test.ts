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
});
