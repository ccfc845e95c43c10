import type { AgentRecord, HeartbeatWrite } from '@colibri/store';
import { describe, expect, it } from 'vitest';
import { LastSeen, persistEveryMs } from './last-seen.js';

function harness(timing = { heartbeatTtlMs: 30_000, leaseMs: 60_000 }) {
  let now = 1_000_000;
  const writes: HeartbeatWrite[][] = [];
  const book = new LastSeen({
    store: {
      recordHeartbeats: async (beats) => {
        writes.push([...beats]);
        return beats.length;
      },
    },
    clock: () => new Date(now),
    timing,
    logger: { warn: () => {} },
  });
  return { book, writes, advance: (ms: number) => (now += ms), now: () => now };
}

const agent = (id: string, lastHeartbeatAt: number | null, registeredAt = 0) =>
  ({
    id,
    lastHeartbeatAt: lastHeartbeatAt === null ? null : new Date(lastHeartbeatAt),
    registeredAt: new Date(registeredAt),
  }) as AgentRecord;

describe('LastSeen', () => {
  it('persists at most once per agent per third of the shorter of TTL and lease', async () => {
    const { book, writes, advance, now } = harness();
    expect(persistEveryMs({ heartbeatTtlMs: 30_000, leaseMs: 60_000 })).toBe(10_000);
    book.seen('a', new Date(now()));
    expect(await book.flush()).toBe(1);
    for (let i = 0; i < 9; i++) {
      advance(1000);
      book.seen('a', new Date(now()));
      expect(await book.flush()).toBe(0);
    }
    advance(1000);
    expect(await book.flush()).toBe(1);
    // The latest time seen, with the leases extended from it.
    expect(writes[1]).toEqual([
      { agentId: 'a', at: new Date(now() - 1000), extendLeasesUntil: new Date(now() - 1000 + 60_000) },
    ]);
    expect(book.pendingCount).toBe(0);
    expect(await book.flush({ all: true })).toBe(0);
  });

  it('decides liveness from the later of store, memory and its own start', () => {
    const { book, advance, now } = harness();
    expect(book.lastSign(agent('a', 5)).getTime()).toBe(5);
    expect(book.lastSign(agent('b', null, 7)).getTime()).toBe(7);
    book.seen('a', new Date(now()));
    expect(book.lastSign(agent('a', 5)).getTime()).toBe(now());
    const started = advance(100);
    book.start();
    expect(book.lastSign(agent('b', null, 7)).getTime()).toBe(started);
    expect(book.view(agent('a', 5)).lastHeartbeatAt?.getTime()).toBe(started - 100);
    expect(book.view(agent('b', 9)).lastHeartbeatAt?.getTime()).toBe(9);
  });

  it('a write-through clears the pending beat it covers; a forgotten agent is not written', async () => {
    const { book, advance, now } = harness();
    book.seen('a', new Date(now()));
    book.seen('b', new Date(now()));
    advance(10);
    book.persisted('a', new Date(now()));
    book.forget('b');
    expect(book.pendingCount).toBe(0);
    expect(await book.flush({ all: true })).toBe(0);
  });

  it('flushes in transactions of at most 500 agents, and everything at stop', async () => {
    const { book, writes, now } = harness();
    for (let i = 0; i < 1200; i++) book.seen(`agent-${i}`, new Date(now()));
    expect(await book.flush({ all: true })).toBe(1200);
    expect(writes.map((batch) => batch.length)).toEqual([500, 500, 200]);
  });

  it('a failed write keeps the beats for the next flush', async () => {
    let fail = true;
    const book = new LastSeen({
      store: {
        recordHeartbeats: async (beats) => {
          if (fail) throw new Error('database unavailable');
          return beats.length;
        },
      },
      clock: () => new Date(0),
      timing: { heartbeatTtlMs: 30_000, leaseMs: 30_000 },
      logger: { warn: () => {} },
    });
    book.seen('a', new Date(0));
    await expect(book.flush()).rejects.toThrow('database unavailable');
    fail = false;
    expect(await book.flush()).toBe(1);
  });
});
