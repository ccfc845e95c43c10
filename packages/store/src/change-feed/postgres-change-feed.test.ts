import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import type { StoreChange } from '../store.js';
import { CHANGE_CHANNEL } from './change-channel.js';
import { type ListenConnection, watchPostgresChanges } from './postgres-change-feed.js';

const TASK = '0b6f3c1e-8f8a-4d7e-9f0a-2a9c3b4d5e6f';
const parked = (id = TASK) => JSON.stringify({ kind: 'task', id, status: 'parked', agentId: null });

/** A stand-in for a pg connection: the test plays the server. */
class FakeConnection implements ListenConnection {
  readonly statements: string[] = [];
  ended = false;
  /** When set, `select 1` never answers (a silently dead connection). */
  hangPings = false;
  #handlers?: Parameters<ListenConnection['handle']>[0];

  async query(text: string): Promise<unknown> {
    this.statements.push(text);
    if (text === 'select 1' && this.hangPings) return new Promise(() => {});
    return {};
  }
  handle(handlers: Parameters<ListenConnection['handle']>[0]): void {
    this.#handlers = handlers;
  }
  async end(): Promise<void> {
    this.ended = true;
  }
  notify(payload: string, channel = CHANGE_CHANNEL): void {
    this.#handlers?.notification(channel, payload);
  }
  drop(message = 'connection reset'): void {
    this.#handlers?.lost(new Error(message));
  }
}

/** Hands out fake connections; `failures` connects fail before the next one succeeds. */
function server(failures = 0) {
  const connections: FakeConnection[] = [];
  let failing = failures;
  return {
    connections,
    setFailures(n: number) {
      failing = n;
    },
    async connect(): Promise<ListenConnection> {
      if (failing > 0) {
        failing--;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      const connection = new FakeConnection();
      connections.push(connection);
      return connection;
    },
  };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const fast = { backoff: { initialMs: 1, maxMs: 2 }, random: () => 0 };

describe('watchPostgresChanges', () => {
  it('LISTENs, delivers changes on its channel and reports what it cannot read', async () => {
    const pg = server();
    const seen: StoreChange[] = [];
    const errors: Error[] = [];
    const subscription = await watchPostgresChanges({ connect: pg.connect, ...fast }, (c) => seen.push(c), {
      onError: (e) => errors.push(e),
    });
    expect(subscription.live).toBe(true);
    const [connection] = pg.connections;
    expect(connection?.statements).toEqual([`LISTEN ${CHANGE_CHANNEL}`]);
    connection?.notify(parked());
    connection?.notify(parked(), 'someone_else');
    connection?.notify('{"kind":"gossip"}');
    expect(seen).toEqual([{ kind: 'task', taskId: TASK, status: 'parked', agentId: null }]);
    expect(errors).toHaveLength(1);
    expect(isColibriError(errors[0], 'COLIBRI_INTERNAL')).toBe(true);
    expect(errors[0]?.message).toMatch(/unexpected change notification/);
    await subscription.close();
    expect(connection?.ended).toBe(true);
  });

  it('fails with COLIBRI_STORE_UNAVAILABLE when it cannot listen at first', async () => {
    const pg = server(1);
    await expect(watchPostgresChanges({ connect: pg.connect, ...fast }, () => {})).rejects.toSatisfy(
      (error) =>
        isColibriError(error, 'COLIBRI_STORE_UNAVAILABLE') &&
        /cannot LISTEN.*ECONNREFUSED/.test((error as Error).message),
    );
  });

  it('reconnects after losing its connection, retrying failed attempts, then asks for a resync', async () => {
    const pg = server();
    const seen: StoreChange[] = [];
    const errors: Error[] = [];
    const subscription = await watchPostgresChanges({ connect: pg.connect, ...fast }, (c) => seen.push(c), {
      onError: (e) => errors.push(e),
    });
    const first = pg.connections[0]!;
    pg.setFailures(2);
    first.drop();
    first.drop('and again');
    await waitFor(() => seen.length === 1, 'the resync');
    expect(seen[0]).toMatchObject({ kind: 'resync', reason: expect.stringMatching(/missed/) });
    expect(first.ended).toBe(true);
    expect(pg.connections).toHaveLength(2);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/lost its connection \(reconnecting\): connection reset/),
      expect.stringMatching(/cannot reconnect \(attempt 1; retrying\)/),
      expect.stringMatching(/cannot reconnect \(attempt 2; retrying\)/),
    ]);
    for (const error of errors) expect(isColibriError(error, 'COLIBRI_STORE_UNAVAILABLE')).toBe(true);
    // The old connection is deaf; the new one delivers.
    first.notify(parked());
    pg.connections[1]!.notify(parked());
    expect(seen.map((c) => c.kind)).toEqual(['resync', 'task']);
    await subscription.close();
    expect(pg.connections[1]!.ended).toBe(true);
  });

  it('replaces a connection that stops answering its pings', async () => {
    const pg = server();
    const seen: StoreChange[] = [];
    const errors: Error[] = [];
    const subscription = await watchPostgresChanges(
      { connect: pg.connect, ...fast, pingIntervalMs: 5, pingTimeoutMs: 5 },
      (c) => seen.push(c),
      { onError: (e) => errors.push(e) },
    );
    pg.connections[0]!.hangPings = true;
    await waitFor(() => seen.some((c) => c.kind === 'resync'), 'the resync');
    expect(errors[0]?.message).toMatch(/no answer to a ping/);
    expect(pg.connections[0]!.ended).toBe(true);
    await subscription.close();
  });

  it('stops reconnecting once closed, and delivers nothing after close', async () => {
    const pg = server();
    const seen: StoreChange[] = [];
    const subscription = await watchPostgresChanges(
      { connect: pg.connect, backoff: { initialMs: 60_000, maxMs: 60_000 } },
      (c) => seen.push(c),
    );
    pg.connections[0]!.drop();
    await subscription.close();
    await subscription.close();
    expect(pg.connections).toHaveLength(1);
    pg.connections[0]!.notify(parked());
    expect(seen).toEqual([]);
  });

  it('survives a listener that throws, reporting it', async () => {
    const pg = server();
    const errors: Error[] = [];
    let calls = 0;
    const subscription = await watchPostgresChanges(
      { connect: pg.connect, ...fast },
      () => {
        calls++;
        throw new Error('listener bug');
      },
      { onError: (e) => errors.push(e) },
    );
    pg.connections[0]!.notify(parked());
    pg.connections[0]!.notify(parked());
    expect(calls).toBe(2);
    expect(errors.map((e) => e.message)).toEqual([
      'a change listener threw: listener bug',
      'a change listener threw: listener bug',
    ]);
    await subscription.close();
  });
});
