import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nameStatementsOn, StatementNames } from '../src/dialect/postgres-named-statements.js';
import { openStore, type Store } from '../src/index.js';

const serverUrl = inject('postgresUrl');
const admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
let n = 0;
async function freshUrl(): Promise<string> {
  const name = `named_${process.pid}_${++n}`;
  await admin.query(`create database ${name}`);
  return serverUrl.replace('/postgres?', `/${name}?`);
}
afterAll(() => admin.end());

/** The named statements this session holds (`pg_prepared_statements` is per session). */
async function prepared(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'select name from pg_prepared_statements where from_sql = false order by name',
  );
  return rows.map((row) => row.name);
}

describe('named statements on a real PostgreSQL session', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: await freshUrl() });
    await client.connect();
    nameStatementsOn(client as never, new StatementNames());
    await client.query('create table t (id integer primary key, v text)');
    await client.query("insert into t values (1, 'one'), (2, 'two')");
  });
  afterAll(() => client.end());

  it('runs a text unnamed once, then prepared under one name, with the same answers', async () => {
    const text = 'select * from t where id = $1';
    const answers = [];
    for (const id of [1, 2, 1, 2]) answers.push((await client.query(text, [id])).rows);
    expect(answers).toEqual([
      [{ id: 1, v: 'one' }],
      [{ id: 2, v: 'two' }],
      [{ id: 1, v: 'one' }],
      [{ id: 2, v: 'two' }],
    ]);
    expect(await prepared(client)).toEqual(['colibri_0']);
  });

  it('a prepared SELECT * survives a column added by a migration, in and out of a transaction', async () => {
    const text = 'select * from t where id = $1 or id = $2';
    await client.query(text, [1, 1]);
    await client.query(text, [1, 1]);
    expect(await prepared(client)).toContain('colibri_1');
    await client.query('alter table t add column w text');
    // Outside a transaction the refused statement is prepared again at once and answers.
    expect((await client.query(text, [2, 2])).rows).toEqual([{ id: 2, v: 'two', w: null }]);
    await client.query('alter table t add column x text');
    // Inside one the refusal goes up (the store runs the transaction again); the retry succeeds.
    await client.query('begin');
    await expect(client.query(text, [1, 1])).rejects.toMatchObject({ code: '0A000' });
    await client.query('rollback');
    await client.query('begin');
    expect((await client.query(text, [1, 1])).rows).toEqual([{ id: 1, v: 'one', w: null, x: null }]);
    await client.query('commit');
  });
});

describe('named statements shared by the clients of one pool', () => {
  it('one stale refusal renames the statement for every client, so a retry elsewhere succeeds', async () => {
    const url = await freshUrl();
    const names = new StatementNames();
    const [a, b] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    try {
      for (const client of [a, b]) {
        await client.connect();
        nameStatementsOn(client as never, names);
      }
      await a.query('create table u (id integer primary key, v text)');
      await a.query("insert into u values (1, 'one')");
      const text = 'select * from u where id = $1';
      for (const client of [a, a, b]) await client.query(text, [1]);
      expect(await prepared(a)).toEqual(['colibri_0']);
      expect(await prepared(b)).toEqual(['colibri_0']);
      await a.query('alter table u add column w text');
      // Inside a transaction the refusal goes up; the store's retry may run on the other client.
      await a.query('begin');
      await expect(a.query(text, [1])).rejects.toMatchObject({ code: '0A000' });
      await a.query('rollback');
      await b.query('begin');
      expect((await b.query(text, [1])).rows).toEqual([{ id: 1, v: 'one', w: null }]);
      await b.query('commit');
      expect(await prepared(b)).toEqual(['colibri_0', 'colibri_0_1']);
    } finally {
      await Promise.allSettled([a.end(), b.end()]);
    }
  });
});

describe('the store on PostgreSQL with prepared statements', () => {
  let store: Store;
  let url: string;
  beforeAll(async () => {
    url = await freshUrl();
    store = await openStore({ driver: 'postgres', connectionString: url, poolSize: 1 });
  });
  afterAll(() => store.close());

  it('keeps answering after a migration adds a column to tasks under its prepared statements', async () => {
    const task = await store.intakeTask({ title: 'before', requiredCapabilities: [] });
    for (let i = 0; i < 3; i++) expect((await store.getTask(task.id)).title).toBe('before');
    // A newer daemon's migration, from another session.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query('alter table tasks add column added_later text');
    await other.end();
    expect((await store.getTask(task.id)).title).toBe('before');
    const again = await store.intakeTask({ title: 'after', requiredCapabilities: [] });
    expect((await store.listTasks({ status: ['parked'] })).map((t) => t.id).sort()).toEqual(
      [task.id, again.id].sort(),
    );
  });

  it('runs a write transaction again when its prepared statement met a changed table', async () => {
    for (let i = 0; i < 3; i++) await store.registerAgent({ name: `early-${i}`, capabilities: ['x'] });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query('alter table agents add column added_later text');
    await other.end();
    const agent = await store.registerAgent({ name: 'late', capabilities: ['x'] });
    expect((await store.getAgent(agent.id)).name).toBe('late');
  });
});
