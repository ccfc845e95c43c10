import { isColibriError } from '@colibri/errors';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { openStore, type Store, type StoreChange } from '../src/index.js';

// The PostgreSQL feed's own regression tests (the contract suite covers what every driver shares):
// a real server, a real LISTEN connection, and that connection killed from outside.
const serverUrl = inject('postgresUrl');
const admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
let n = 0;
afterAll(() => admin.end());

async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PostgreSQL change feed', () => {
  let database: string;
  let url: string;
  let store: Store;
  beforeEach(async () => {
    database = `feed_${process.pid}_${++n}`;
    await admin.query(`create database ${database}`);
    url = serverUrl.replace('/postgres?', `/${database}?`);
    store = await openStore({ driver: 'postgres', connectionString: url, applicationName: 'feedtest' });
  });
  afterEach(() => store.close());

  /** The backends of this database's change feeds. */
  const feedBackends = async () =>
    (
      await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and application_name = 'feedtest-changes'`,
        [database],
      )
    ).rows.map((row) => row.pid);

  it('reconnects after its connection is killed, asks for a resync, then hears changes again', async () => {
    const seen: StoreChange[] = [];
    const errors: Error[] = [];
    await store.watchChanges((change) => seen.push(change), { onError: (error) => errors.push(error) });
    const [pid] = await feedBackends();
    expect(pid).toBeTypeOf('number');
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await waitFor(() => seen.some((c) => c.kind === 'resync'), 'the resync after reconnecting');
    expect(isColibriError(errors[0], 'COLIBRI_STORE_UNAVAILABLE')).toBe(true);
    expect(errors[0]?.message).toMatch(/lost its connection \(reconnecting\)/);
    const backends = await feedBackends();
    expect(backends).toHaveLength(1);
    expect(backends[0]).not.toBe(pid);
    const task = await store.intakeTask({ title: 'after the reconnect', requiredCapabilities: [] });
    await waitFor(() => seen.some((c) => c.kind === 'task' && c.taskId === task.id), 'the new task');
  });

  it('hears writes that bypass the store: the triggers notify for every writer', async () => {
    const seen: StoreChange[] = [];
    await store.watchChanges((change) => seen.push(change));
    const task = await store.intakeTask({ title: 'raw', requiredCapabilities: [] });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await raw.query(`update tasks set status = 'cancelled' where id = $1`, [task.id]);
      // Not a change another daemon needs: no notification.
      await raw.query(`update tasks set title = 'renamed' where id = $1`, [task.id]);
      await raw.query(`update tasks set priority = 5 where id = $1`, [task.id]);
      await raw.query(`update tasks set status = 'done' where id = $1`, [task.id]);
    } finally {
      await raw.end();
    }
    await waitFor(() => seen.some((c) => c.kind === 'task' && c.status === 'done'), 'the raw update');
    expect(seen).toEqual([
      { kind: 'task', taskId: task.id, status: 'parked', agentId: null },
      { kind: 'task', taskId: task.id, status: 'cancelled', agentId: null },
      { kind: 'task', taskId: task.id, status: 'done', agentId: null },
    ]);
  });

  it('with ignoreOwnCommits a store skips its own commits and hears every other writer', async () => {
    const own: StoreChange[] = [];
    const all: StoreChange[] = [];
    await store.watchChanges((change) => own.push(change), { ignoreOwnCommits: true });
    await store.watchChanges((change) => all.push(change));
    const other = await openStore({ driver: 'postgres', connectionString: url, applicationName: 'feedtest' });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      const mine = await store.intakeTask({ title: 'mine', requiredCapabilities: [] });
      const theirs = await other.intakeTask({ title: 'theirs', requiredCapabilities: [] });
      await raw.query(`update tasks set status = 'cancelled' where id = $1`, [mine.id]);
      await store.transitionTask({ taskId: theirs.id, to: 'cancelled' });
      const last = await other.intakeTask({ title: 'last', requiredCapabilities: [] });
      // Notifications arrive in commit order: once the last one is in, every earlier one is too.
      await waitFor(() => own.some((c) => c.kind === 'task' && c.taskId === last.id), 'the last change');
      expect(own).toEqual([
        { kind: 'task', taskId: theirs.id, status: 'parked', agentId: null },
        { kind: 'task', taskId: mine.id, status: 'cancelled', agentId: null },
        { kind: 'task', taskId: last.id, status: 'parked', agentId: null },
      ]);
      // Without the option the same store hears all five, its own included.
      await waitFor(() => all.some((c) => c.kind === 'task' && c.taskId === last.id), 'the last change');
      expect(all.map((c) => (c.kind === 'task' ? `${c.taskId}:${c.status}` : c.kind))).toEqual([
        `${mine.id}:parked`,
        `${theirs.id}:parked`,
        `${mine.id}:cancelled`,
        `${theirs.id}:cancelled`,
        `${last.id}:parked`,
      ]);
    } finally {
      await raw.end();
      await other.close();
    }
  });

  it('each subscription holds one connection, released by its close and by the store closing', async () => {
    const first = await store.watchChanges(() => {});
    await store.watchChanges(() => {});
    expect(await feedBackends()).toHaveLength(2);
    await first.close();
    await waitFor(async () => (await feedBackends()).length === 1, 'the closed feed to disconnect');
    await store.close();
    await waitFor(async () => (await feedBackends()).length === 0, 'the store to close its feeds');
    store = await openStore({ driver: 'postgres', connectionString: url, applicationName: 'feedtest' });
  });
});
