import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore, type SqliteStoreConfig, type Store } from '../src/index.js';

/**
 * SQLite's group commit (the store contract runs on both dialects; these are SQLite's own
 * regression tests): writes asked for together share one COMMIT, each in its own savepoint, and
 * each is answered only after it.
 */
const dir = mkdtempSync(join(tmpdir(), 'colibri-store-group-'));
let n = 0;
const open: Store[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freshStore(
  options: Partial<SqliteStoreConfig> = {},
): Promise<{ store: Store; config: SqliteStoreConfig }> {
  const config: SqliteStoreConfig = {
    driver: 'sqlite',
    path: join(dir, `db-${++n}`, 'colibri.db'),
    ...options,
  };
  const store = await openStore(config);
  open.push(store);
  return { store, config };
}

const intake = (store: Store, title: string) => store.intakeTask({ title, requiredCapabilities: ['linux'] });

function titlesOnDisk(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('select title from tasks order by title').all() as { title: string }[]).map(
      (row) => row.title,
    );
  } finally {
    db.close();
  }
}

describe('sqlite group commit', () => {
  it('writes asked for together share one commit, and each answer comes after it', async () => {
    const { store, config } = await freshStore();
    const titles = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const commits = store.committedTransactions;
    const writes = store.committedWrites;
    const answered = await Promise.all(
      titles.map(async (title) => {
        const task = await intake(store, title);
        // Answered: it is on disk, as another connection reads it.
        expect(titlesOnDisk(config.path)).toContain(title);
        return task;
      }),
    );
    expect(answered.map((task) => task.title)).toEqual(titles);
    expect(store.committedTransactions).toBe(commits + 1);
    expect(store.committedWrites).toBe(writes + 8);
    expect(titlesOnDisk(config.path)).toEqual(titles);
  });

  it('a failing write rolls back only its own savepoint and gets its own error; the others commit', async () => {
    const { store, config } = await freshStore();
    // The event row of task "boom" fails after its task row was written: that row must go too.
    const db = new Database(config.path);
    db.exec(`create trigger boom before insert on task_events
      when (select title from tasks where id = new.task_id) = 'boom'
      begin select raise(abort, 'boom refused'); end`);
    db.close();
    const results = await Promise.allSettled([
      intake(store, 'a'),
      intake(store, 'boom'),
      store.recordHeartbeat('00000000-0000-4000-8000-000000000000'),
      intake(store, 'b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/boom refused/);
    expect(isColibriError((results[2] as PromiseRejectedResult).reason, 'COLIBRI_AGENT_NOT_FOUND')).toBe(
      true,
    );
    expect(titlesOnDisk(config.path)).toEqual(['a', 'b']);
    expect((await store.listTasks()).map((task) => task.title).sort()).toEqual(['a', 'b']);
    // One commit carried the two writes that succeeded.
    expect(store.committedTransactions).toBe(1);
    expect(store.committedWrites).toBe(2);
  });

  it('writes of one group run in order, each seeing the ones before it (a repeated idempotency key)', async () => {
    const { store } = await freshStore();
    const once = () =>
      store.intakeTaskOnce({ title: 'once', requiredCapabilities: ['linux'], idempotencyKey: 'k1' });
    const [first, second] = await Promise.all([once(), once()]);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.task.id).toBe(first.task.id);
    expect(store.committedTransactions).toBe(1);
  });

  it('when the transaction cannot begin every write of the group gets the error and none is applied', async () => {
    const { store, config } = await freshStore({ busyTimeoutMs: 50 });
    const other = new Database(config.path);
    other.exec('begin immediate');
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled([intake(store, 'x'), intake(store, 'y'), intake(store, 'z')]);
    } finally {
      other.exec('rollback');
      other.close();
    }
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(isColibriError((result as PromiseRejectedResult).reason, 'COLIBRI_STORE_UNAVAILABLE')).toBe(
        true,
      );
    }
    expect(titlesOnDisk(config.path)).toEqual([]);
    expect(store.committedTransactions).toBe(0);
    await intake(store, 'after');
    expect(titlesOnDisk(config.path)).toEqual(['after']);
  });

  it('closing commits and answers the writes already asked for', async () => {
    const { store, config } = await freshStore();
    const pending = [intake(store, 'p'), intake(store, 'q')];
    await store.close();
    open.splice(open.indexOf(store), 1);
    await expect(Promise.all(pending)).resolves.toHaveLength(2);
    expect(titlesOnDisk(config.path)).toEqual(['p', 'q']);
  });

  it('groupCommit: false gives every write its own commit', async () => {
    const { store } = await freshStore({ groupCommit: false });
    await Promise.all(['a', 'b', 'c'].map((title) => intake(store, title)));
    expect(store.committedTransactions).toBe(3);
    expect(store.committedWrites).toBe(3);
  });
});
