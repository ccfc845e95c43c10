import { type ColibriError, type ErrorCode, isColibriError } from '@colibri/errors';
import { Migrator } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresAdapter } from '../src/dialect/postgres-adapter.js';
import { createSqliteAdapter } from '../src/dialect/sqlite-adapter.js';
import { MAX_STDERR_TAIL_BYTES, openStore, type Store, type StoreConfig } from '../src/index.js';
import { migrationProvider } from '../src/migrations/migration-provider.js';
import type { ContractHarness } from './store-contract.js';

async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
): Promise<ColibriError> {
  try {
    await promise;
  } catch (error) {
    if (!isColibriError(error, code)) throw error;
    if (message) expect(error.message).toMatch(message);
    return error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = new Date('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/**
 * The contract of expiry (issue 15 item 1), retention (item 7) and the handler's stderr tail
 * (item 8), on every driver: part of `describeStoreContract`.
 */
export function describeLifecycleContract(harness: ContractHarness): void {
  let config: StoreConfig;
  let store: Store;

  beforeEach(async () => {
    config = await harness.freshConfig();
    store = await openStore(config);
  });
  afterEach(async () => {
    await store.close();
  });

  const agent = () => store.registerAgent({ name: 'cpu-box', capabilities: ['linux'] });
  const intake = (title: string, expiresAt: Date | null, requiredCapabilities = ['gpu']) =>
    store.intakeTask({ title, requiredCapabilities, expiresAt, at: T0 });

  describe('expiry', () => {
    it('a parked task past its deadline expires with its reason; expired is terminal and counted', async () => {
      const task = await intake('render', at(30 * MINUTE));
      expect(task.expiresAt).toEqual(at(30 * MINUTE));
      expect(await store.listDueExpiries({ now: at(29 * MINUTE) })).toEqual([]);
      const due = await store.listDueExpiries({ now: at(30 * MINUTE) });
      expect(due.map((t) => t.id)).toEqual([task.id]);
      const reason = 'no capable agent within 30m; missing gpu on every online agent';
      const [expired] = await store.expireTasks({
        tasks: [{ taskId: task.id, reason }],
        at: at(31 * MINUTE),
      });
      expect(expired).toMatchObject({
        id: task.id,
        status: 'expired',
        assignedAgentId: null,
        leaseExpiresAt: null,
      });
      expect(expired!.updatedAt).toEqual(at(31 * MINUTE));
      const events = await store.listTaskEvents(task.id);
      expect(events.at(-1)).toMatchObject({
        from: 'parked',
        to: 'expired',
        reason,
        agentId: null,
        attempt: 0,
      });
      expect((await store.listTasks({ status: 'expired' })).map((t) => t.id)).toEqual([task.id]);
      expect((await store.countTasksByStatus()).expired).toBe(1);
      expect(await store.listDueExpiries({ now: at(HOUR) })).toEqual([]);
      // Terminal: nothing moves it on, and expiry is not a transition anyone may ask for.
      const box = await agent();
      await expectCode(
        store.assignTask({ taskId: task.id, agentId: box.id, expectedAttempt: 0, leaseExpiresAt: at(HOUR) }),
        'COLIBRI_ILLEGAL_TRANSITION',
      );
      await expectCode(
        store.transitionTask({ taskId: task.id, to: 'cancelled' }),
        'COLIBRI_ILLEGAL_TRANSITION',
      );
      const other = await intake('other', null);
      await expectCode(
        store.transitionTask({ taskId: other.id, to: 'expired' as 'cancelled' }),
        'COLIBRI_INVALID_INPUT',
        /expireTasks/,
      );
    });

    it('never expires a task that is not due, not parked, or has no deadline', async () => {
      const box = await agent();
      const early = await intake('not yet', at(2 * HOUR));
      const forever = await intake('forever', null);
      const held = await intake('held', at(MINUTE), ['linux']);
      const cancelled = await intake('cancelled', at(MINUTE));
      await store.assignTask({
        taskId: held.id,
        agentId: box.id,
        expectedAttempt: 0,
        leaseExpiresAt: at(HOUR),
      });
      await store.transitionTask({ taskId: cancelled.id, to: 'cancelled' });
      expect(await store.listDueExpiries({ now: at(HOUR) })).toEqual([]);
      const expired = await store.expireTasks({
        tasks: [early, forever, held, cancelled].map((t) => ({ taskId: t.id, reason: 'r' })),
        at: at(HOUR),
      });
      expect(expired).toEqual([]);
      expect((await store.getTask(early.id)).status).toBe('parked');
      expect((await store.getTask(forever.id)).status).toBe('parked');
      expect((await store.getTask(held.id)).status).toBe('assigned');
      expect((await store.getTask(cancelled.id)).status).toBe('cancelled');
      // Unknown and malformed ids are skipped, not errors: the timer's list may be stale.
      expect(
        await store.expireTasks({
          tasks: [
            { taskId: '00000000-0000-4000-8000-000000000000', reason: 'r' },
            { taskId: 'nope', reason: 'r' },
          ],
        }),
      ).toEqual([]);
    });

    it('lists due tasks earliest deadline first, in pages, and expires a batch in one call', async () => {
      const tasks = [];
      for (const minutes of [50, 10, 40, 20, 30])
        tasks.push(await intake(`t${minutes}`, at(minutes * MINUTE)));
      const firstTwo = await store.listDueExpiries({ now: at(HOUR), limit: 2 });
      expect(firstTwo.map((t) => t.title)).toEqual(['t10', 't20']);
      const all = await store.listDueExpiries({ now: at(HOUR) });
      expect(all.map((t) => t.title)).toEqual(['t10', 't20', 't30', 't40', 't50']);
      const expired = await store.expireTasks({
        tasks: all.map((t) => ({ taskId: t.id, reason: 'deadline' })),
        at: at(HOUR),
      });
      expect(expired).toHaveLength(5);
      expect((await store.countTasksByStatus()).expired).toBe(5);
    });

    it('a retried expired task gets its expire-after window again from the retry, not its passed deadline', async () => {
      const task = await intake('render', at(30 * MINUTE));
      await store.expireTasks({ tasks: [{ taskId: task.id, reason: 'deadline' }], at: at(31 * MINUTE) });
      const retried = await store.retryTask({ taskId: task.id, at: at(2 * HOUR) });
      expect(retried).toMatchObject({ status: 'parked', expiresAt: at(2 * HOUR + 30 * MINUTE) });
      expect(await store.listDueExpiries({ now: at(2 * HOUR + 29 * MINUTE) })).toEqual([]);
      expect((await store.listDueExpiries({ now: at(3 * HOUR) })).map((t) => t.id)).toEqual([task.id]);
      const forever = await intake('forever', null);
      await store.transitionTask({ taskId: forever.id, to: 'cancelled' });
      expect((await store.retryTask({ taskId: forever.id })).expiresAt).toBeNull();
    });

    it('refuses a bad deadline or bad expiry input and stores nothing', async () => {
      await expectCode(
        store.intakeTask({ title: 'x', requiredCapabilities: [], expiresAt: new Date('garbage') }),
        'COLIBRI_INVALID_INPUT',
        /expiresAt/,
      );
      await expectCode(
        store.intakeTask({ title: 'x', requiredCapabilities: [], expiresAt: '2026' as unknown as Date }),
        'COLIBRI_INVALID_INPUT',
        /expiresAt/,
      );
      expect(await store.listTasks()).toEqual([]);
      await expectCode(store.listDueExpiries({ limit: 0 }), 'COLIBRI_INVALID_INPUT', /limit/);
      const task = await intake('t', at(MINUTE));
      await expectCode(
        store.expireTasks({ tasks: [{ taskId: task.id, reason: 'x'.repeat(1001) }], at: at(HOUR) }),
        'COLIBRI_INVALID_INPUT',
        /reason/,
      );
      expect((await store.getTask(task.id)).status).toBe('parked');
    });
  });

  describe('retention', () => {
    async function finishedAt(title: string, to: 'done' | 'failed' | 'cancelled' | 'expired', when: Date) {
      const box = (await store.findAgentByName('cpu-box')) ?? (await agent());
      const task = await store.intakeTask({
        title,
        requiredCapabilities: ['linux'],
        expiresAt: at(0),
        at: T0,
      });
      if (to === 'expired') {
        await store.expireTasks({ tasks: [{ taskId: task.id, reason: 'deadline' }], at: when });
      } else if (to === 'cancelled') {
        await store.transitionTask({ taskId: task.id, to, at: when });
      } else {
        await store.assignTask({
          taskId: task.id,
          agentId: box.id,
          expectedAttempt: 0,
          leaseExpiresAt: at(HOUR),
          at: T0,
        });
        await store.transitionTask({ taskId: task.id, to, agentId: box.id, attempt: 1, at: when });
      }
      return task;
    }

    it('prunes finished tasks older than the cutoff with their events, in batches; never unfinished ones', async () => {
      const old = [
        await finishedAt('old-done', 'done', at(HOUR)),
        await finishedAt('old-failed', 'failed', at(2 * HOUR)),
        await finishedAt('old-cancelled', 'cancelled', at(3 * HOUR)),
        await finishedAt('old-expired', 'expired', at(4 * HOUR)),
      ];
      const recent = await finishedAt('recent', 'done', at(10 * HOUR));
      const box = (await store.findAgentByName('cpu-box'))!;
      const parked = await store.intakeTask({ title: 'parked', requiredCapabilities: ['gpu'], at: T0 });
      const running = await store.intakeTask({ title: 'running', requiredCapabilities: ['linux'], at: T0 });
      await store.assignTask({
        taskId: running.id,
        agentId: box.id,
        expectedAttempt: 0,
        leaseExpiresAt: at(HOUR),
        at: T0,
      });
      await store.transitionTask({ taskId: running.id, to: 'running', agentId: box.id, attempt: 1, at: T0 });

      const cutoff = at(5 * HOUR);
      // Oldest first: done, failed and cancelled go in the first batch of 3, expired in the second.
      // Events: done/failed 3 each (intake, assigned, end), cancelled/expired 2 each.
      expect(await store.countPrunable(cutoff)).toEqual({ tasks: 4, events: 10 });
      expect(await store.pruneFinishedTasks({ finishedBefore: cutoff, limit: 3 })).toEqual({
        tasks: 3,
        events: 8,
      });
      expect(await store.pruneFinishedTasks({ finishedBefore: cutoff, limit: 3 })).toEqual({
        tasks: 1,
        events: 2,
      });
      expect(await store.pruneFinishedTasks({ finishedBefore: cutoff })).toEqual({ tasks: 0, events: 0 });
      expect(await store.countPrunable(cutoff)).toEqual({ tasks: 0, events: 0 });
      for (const task of old) await expectCode(store.getTask(task.id), 'COLIBRI_TASK_NOT_FOUND');
      expect((await store.listTasks()).map((t) => t.title).sort()).toEqual(['parked', 'recent', 'running']);
      expect(await store.listTaskEvents(recent.id)).toHaveLength(3);
      expect(await store.listTaskEvents(parked.id)).toHaveLength(1);
      // Even a cutoff in the future never touches what is still waiting or running.
      expect(await store.pruneFinishedTasks({ finishedBefore: at(1000 * HOUR) })).toEqual({
        tasks: 1,
        events: 3,
      });
      expect((await store.listTasks()).map((t) => t.status).sort()).toEqual(['parked', 'running']);
    });

    it('the database still refuses to delete or edit an unfinished task’s events', async () => {
      const parked = await store.intakeTask({ title: 'parked', requiredCapabilities: ['gpu'] });
      const done = await finishedAt('done', 'done', at(HOUR));
      await expect(
        harness.rawExec(config, `delete from task_events where task_id = '${parked.id}'`),
      ).rejects.toThrow(/append-only/);
      await expect(
        harness.rawExec(config, `update task_events set reason = 'forged' where task_id = '${done.id}'`),
      ).rejects.toThrow(/append-only/);
      expect(await store.listTaskEvents(parked.id)).toHaveLength(1);
      expect(await store.listTaskEvents(done.id)).toHaveLength(3);
    });

    it('refuses a bad cutoff or batch size', async () => {
      await expectCode(store.countPrunable(new Date('nope')), 'COLIBRI_INVALID_INPUT', /finishedBefore/);
      await expectCode(
        store.pruneFinishedTasks({ finishedBefore: at(0), limit: 0 }),
        'COLIBRI_INVALID_INPUT',
        /limit/,
      );
    });
  });

  describe('handler stderr tail', () => {
    async function heldTask() {
      const box = await agent();
      const task = await store.intakeTask({ title: 't', requiredCapabilities: ['linux'] });
      await store.assignTask({
        taskId: task.id,
        agentId: box.id,
        expectedAttempt: 0,
        leaseExpiresAt: at(1000 * HOUR),
      });
      return { box, task };
    }

    it('keeps the stderr tail reported with the outcome, up to 64 KiB of UTF-8', async () => {
      const { box, task } = await heldTask();
      expect((await store.getTask(task.id)).stderrTail).toBeNull();
      const tail = `${'é'.repeat((MAX_STDERR_TAIL_BYTES - 2) / 2)}\n!`;
      expect(Buffer.byteLength(tail)).toBe(MAX_STDERR_TAIL_BYTES);
      const failed = await store.transitionTask({
        taskId: task.id,
        to: 'failed',
        agentId: box.id,
        attempt: 1,
        error: 'exit 3',
        stderrTail: tail,
      });
      expect(failed.stderrTail).toBe(tail);
      expect((await store.getTask(task.id)).stderrTail).toBe(tail);
    });

    it('refuses a tail over 64 KiB, with a NUL, or with a non-final transition, and changes nothing', async () => {
      const { box, task } = await heldTask();
      const move = (stderrTail: string, to: 'done' | 'running' = 'done') =>
        store.transitionTask({ taskId: task.id, to, agentId: box.id, attempt: 1, stderrTail });
      await expectCode(move('x'.repeat(MAX_STDERR_TAIL_BYTES + 1)), 'COLIBRI_INVALID_INPUT', /stderrTail/);
      await expectCode(move('a\u0000b'), 'COLIBRI_INVALID_INPUT', /stderrTail/);
      await expectCode(move('ok', 'running'), 'COLIBRI_INVALID_INPUT', /stderr tail/);
      expect(await store.getTask(task.id)).toMatchObject({ status: 'assigned', stderrTail: null });
    });
  });

  describe('migration 0007', () => {
    it('keeps every task, event and index of a database from before it, and then expires and prunes', async () => {
      const fresh = await harness.freshConfig();
      const adapter =
        fresh.driver === 'sqlite' ? createSqliteAdapter(fresh) : await createPostgresAdapter(fresh);
      const all = await migrationProvider(adapter.driver).getMigrations();
      const { error } = await new Migrator({
        db: adapter.db,
        provider: {
          getMigrations: async () =>
            Object.fromEntries(Object.entries(all).filter(([name]) => name < '0007')),
        },
      }).migrateToLatest();
      await adapter.db.destroy();
      expect(error).toBeUndefined();
      const parked = { id: '11111111-1111-4111-8111-111111111111' };
      const done = { id: '22222222-2222-4222-8222-222222222222' };
      const t = "'2026-01-01T00:00:00.000Z'";
      await harness.rawExec(
        fresh,
        `insert into tasks (id, title, payload, required_capabilities, status, tenant, priority, attempt,
           max_attempts, created_at, updated_at) values
         ('${parked.id}', 'old parked', 'null', '["gpu"]', 'parked', null, 0, 0, 3, ${t}, ${t}),
         ('${done.id}', 'old cancelled', 'null', '[]', 'cancelled', null, 0, 0, 3, ${t}, ${t});
         insert into task_events (task_id, from_status, to_status, agent_id, attempt, reason, at) values
         ('${parked.id}', null, 'parked', null, 0, 'intake', ${t}),
         ('${done.id}', null, 'parked', null, 0, 'intake', ${t}),
         ('${done.id}', 'parked', 'cancelled', null, 0, 'by hand', ${t})`,
      );

      const migrated = await openStore(fresh);
      try {
        expect(await migrated.getTask(parked.id)).toMatchObject({
          title: 'old parked',
          status: 'parked',
          expiresAt: null,
          stderrTail: null,
        });
        expect((await migrated.listTaskEvents(done.id)).map((e) => e.to)).toEqual(['parked', 'cancelled']);
        // The old append-only rule still holds for the unfinished task, and the new status is allowed.
        await expect(
          harness.rawExec(fresh, `delete from task_events where task_id = '${parked.id}'`),
        ).rejects.toThrow(/append-only/);
        const soon = await migrated.intakeTask({
          title: 'new',
          requiredCapabilities: ['gpu'],
          expiresAt: at(0),
        });
        expect(await migrated.expireTasks({ tasks: [{ taskId: soon.id, reason: 'deadline' }] })).toHaveLength(
          1,
        );
        expect(await migrated.pruneFinishedTasks({ finishedBefore: new Date(Date.now() + HOUR) })).toEqual({
          tasks: 2,
          events: 4,
        });
        expect((await migrated.listTasks()).map((t) => t.id)).toEqual([parked.id]);
      } finally {
        await migrated.close();
      }
    });
  });
}
