import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';

/**
 * PostgreSQL statements (≈ round trips: BEGIN and COMMIT are statements too) per lifecycle step,
 * counted by pg_stat_statements for colibrid's database alone: a count, no timing involved. Every
 * state change is one statement, and the daemon does not read back what it has just written when
 * the change feed echoes its own commits.
 */
/** The little of a `pg.Client` this test uses; `pg` is the store's driver, loaded from there. */
interface PgClient {
  connect(): Promise<void>;
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
}
const storeDir = fileURLToPath(new URL('../../../packages/store/', import.meta.url));
const require = createRequire(import.meta.url);
const pg = require(require.resolve('pg', { paths: [storeDir] })) as {
  Client: new (config: { connectionString: string }) => PgClient;
};

describe('PostgreSQL statements per lifecycle step', () => {
  const url = inject('roundTripDatabaseUrl');
  const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  let daemon: Daemon;
  beforeAll(async () => {
    await admin.connect();
    await admin.query('create extension if not exists pg_stat_statements');
    // Long TTL, lease and sweep: no liveness pass, flush or sweep falls inside a step.
    daemon = await startDaemon({
      args: ['--database-url', url, '--heartbeat-ttl', '1h', '--lease', '1h', '--sweep-interval', '1h'],
    });
  });
  afterAll(async () => {
    await daemon?.dispose();
    await admin.end();
  });

  /** Timers that run whatever the requests do (the 1 s expiry pass, the feed's ping): not a step's. */
  const BACKGROUND = [/"expires_at" <=/, /^select 1$/];

  /** Statements run in colibrid's database so far, by query text. */
  async function statements(): Promise<Map<string, number>> {
    const { rows } = await admin.query<{ query: string; calls: string }>(
      'select s.query, s.calls from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = $1',
      [/\/([^/?]+)(\?|$)/.exec(url)?.[1]],
    );
    return new Map(rows.map((row) => [row.query, Number(row.calls)]));
  }

  /** The statements `step` cost, once the daemon has settled (an echo of its commits would show here). */
  async function counted<T>(step: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const before = await statements();
    const result = await step();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ran: string[] = [];
    for (const [query, calls] of await statements()) {
      if (BACKGROUND.some((pattern) => pattern.test(query))) continue;
      for (let i = before.get(query) ?? 0; i < calls; i++) ran.push(query);
    }
    return { result, statements: ran };
  }

  it('intake + assignment, poll, running and done: one statement each', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'kiln', capabilities: ['linux'] });
    const worker = daemon.client(token);
    const intake = await counted(() =>
      daemon.operator.intakeTask({ title: 'one', requiredCapabilities: ['linux'] }),
    );
    expect(intake.result.task.status).toBe('assigned');
    expect(intake.statements).toHaveLength(1);
    const poll = await counted(() => worker.poll(agent.id));
    expect(poll.result.tasks.map((t) => t.id)).toEqual([intake.result.task.id]);
    expect(poll.statements).toHaveLength(1);
    const running = await counted(() =>
      worker.transitionTask(intake.result.task.id, { to: 'running', attempt: 1 }),
    );
    expect(running.result.task.status).toBe('running');
    expect(running.statements).toHaveLength(1);
    const done = await counted(() =>
      worker.transitionTask(intake.result.task.id, { to: 'done', attempt: 1, result: 'ok' }),
    );
    expect(done.result.task.status).toBe('done');
    expect(done.statements).toHaveLength(1);

    // Every guarantee is still written: the event row per state change, the agent idle again.
    const { events, task } = await daemon.operator.showTask(intake.result.task.id);
    expect(events.map((e) => [e.from, e.to, e.attempt])).toEqual([
      [null, 'parked', 0],
      ['parked', 'assigned', 1],
      ['assigned', 'running', 1],
      ['running', 'done', 1],
    ]);
    expect(task).toMatchObject({ status: 'done', attempt: 1, result: 'ok' });
    const [kiln] = (await daemon.operator.listAgents()).agents;
    expect(kiln).toMatchObject({ status: 'idle', activeTasks: 0 });
  });

  it('a parked task is assigned by the freed slot in one statement, and claimed by the poll in one', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'forge', capabilities: ['forge'] });
    const worker = daemon.client(token);
    const first = await daemon.operator.intakeTask({ title: 'first', requiredCapabilities: ['forge'] });
    expect(first.task.status).toBe('assigned');
    // The agent's one slot is taken: the next task parks.
    const second = await counted(() =>
      daemon.operator.intakeTask({ title: 'second', requiredCapabilities: ['forge'] }),
    );
    expect(second.result.task.status).toBe('parked');
    expect(second.statements).toHaveLength(1);
    await worker.transitionTask(first.task.id, { to: 'running', attempt: 1 });
    // done of the first (colibri_move_task) and the freed slot's assignment (colibri_assign_tasks).
    const done = await counted(() => worker.transitionTask(first.task.id, { to: 'done', attempt: 1 }));
    expect(done.statements).toHaveLength(2);
    const claim = await counted(() => worker.poll(agent.id, { claim: 1, holding: [] }));
    expect(claim.result.claimed).toEqual([{ taskId: second.result.task.id, attempt: 1 }]);
    // The poll's read and its claim: one statement (no BEGIN/COMMIT, no separate claim).
    expect(claim.statements).toHaveLength(1);
    const { events, task } = await daemon.operator.showTask(second.result.task.id);
    expect(events.map((e) => [e.from, e.to, e.attempt])).toEqual([
      [null, 'parked', 0],
      ['parked', 'assigned', 1],
      ['assigned', 'running', 1],
    ]);
    expect(task).toMatchObject({ status: 'running', assignedAgentId: agent.id, attempt: 1 });
    const forge = (await daemon.operator.listAgents()).agents.find((a) => a.id === agent.id);
    expect(forge).toMatchObject({ status: 'active', activeTasks: 1 });
  });

  it('a stale report changes nothing and is answered as before (the full check runs)', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'ember', capabilities: ['ember'] });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'two', requiredCapabilities: ['ember'] });
    expect(task.assignedAgentId).toBe(agent.id);
    await expect(worker.transitionTask(task.id, { to: 'running', attempt: 2 })).rejects.toMatchObject({
      code: 'COLIBRI_STALE_ATTEMPT',
    });
    await daemon.operator.transitionTask(task.id, { to: 'cancelled', reason: 'not needed' });
    await expect(worker.transitionTask(task.id, { to: 'done', attempt: 1 })).rejects.toMatchObject({
      code: 'COLIBRI_STALE_ATTEMPT',
      message: expect.stringMatching(/was cancelled while this agent held attempt 1/),
    });
    const { events } = await daemon.operator.showTask(task.id);
    expect(events.map((e) => e.to)).toEqual(['parked', 'assigned', 'cancelled']);
  });
});
