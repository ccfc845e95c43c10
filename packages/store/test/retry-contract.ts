import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, isColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store, type StoreConfig } from '../src/index.js';

const WORKER = fileURLToPath(new URL('./store-worker.mjs', import.meta.url));
const HOUR = 3_600_000;

async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isColibriError(error, code)) throw error;
    if (message) expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\bcolibri [a-z]|\s--[a-z]/);
    return;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

function runWorker(mode: string, config: StoreConfig, arg: unknown): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, mode, JSON.stringify(config), JSON.stringify(arg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: unknown[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(lines) : reject(new Error(`worker exited ${code}: ${stderr}`)),
    );
  });
}

/**
 * Automatic retries, the dead letter, `retryTask` and idempotent intake (migration 0008): part of
 * the store contract, run on every dialect from `describeStoreContract`.
 */
export function describeRetryContract(freshConfig: () => Promise<StoreConfig>): void {
  describe('retries and idempotent intake', () => {
    let config: StoreConfig;
    let store: Store;
    const t0 = new Date('2026-12-01T10:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);

    beforeEach(async () => {
      config = await freshConfig();
      store = await openStore(config);
    });
    afterEach(async () => {
      await store.close();
    });

    const agent = () => store.registerAgent({ name: 'worker', capabilities: ['linux'] });
    const assign = (taskId: string, agentId: string, expectedAttempt: number, when: Date) =>
      store.assignTask({
        taskId,
        agentId,
        expectedAttempt,
        leaseExpiresAt: new Date(when.getTime() + HOUR),
        at: when,
      });

    describe('automatic retries', () => {
      it('without a retry policy a failed handler ends the task (as before)', async () => {
        const a = await agent();
        const task = await store.intakeTask({ title: 't', requiredCapabilities: [] });
        expect(task).toMatchObject({ retryBackoffMs: null, notBefore: null, maxAttempts: 3 });
        await assign(task.id, a.id, 0, t0);
        const failed = await store.transitionTask({
          taskId: task.id,
          to: 'failed',
          agentId: a.id,
          attempt: 1,
          error: 'boom',
        });
        expect(failed).toMatchObject({ status: 'failed', error: 'boom', notBefore: null });
      });

      it('a failed attempt waits its exponential backoff, then the last one is the dead letter', async () => {
        const a = await agent();
        const task = await store.intakeTask({
          title: 'flaky',
          requiredCapabilities: [],
          maxAttempts: 3,
          retryBackoffMs: 10_000,
          at: t0,
        });
        expect(task.retryBackoffMs).toBe(10_000);
        // attempt 1 fails at t0+1s: back to parked, not before t0+11s
        await assign(task.id, a.id, 0, at(0));
        const first = await store.transitionTask({
          taskId: task.id,
          to: 'failed',
          agentId: a.id,
          attempt: 1,
          error: 'exit 1: first',
          result: { code: 1 },
          at: at(1000),
        });
        expect(first).toMatchObject({
          status: 'parked',
          attempt: 1,
          assignedAgentId: null,
          error: 'exit 1: first',
          result: null,
        });
        expect(first.notBefore?.toISOString()).toBe(at(11_000).toISOString());
        expect((await store.getAgent(a.id)).status).toBe('idle');
        // not assignable during its backoff, whatever path assigns
        await expectCode(
          assign(task.id, a.id, 1, at(10_999)),
          'COLIBRI_TASK_NOT_DUE',
          /not assignable before/,
        );
        const [batch] = await store.assignTasks([
          { taskId: task.id, agentId: a.id, expectedAttempt: 1, leaseExpiresAt: at(HOUR), at: at(5000) },
        ]);
        expect(batch).toMatchObject({ ok: false });
        expect(batch!.ok || batch!.error.code).toBe('COLIBRI_TASK_NOT_DUE');
        const [summary] = await store.scanParkedTasks();
        expect(summary?.notBefore?.toISOString()).toBe(at(11_000).toISOString());
        // attempt 2 fails at t0+20s: the backoff doubles (20s)
        await assign(task.id, a.id, 1, at(11_000));
        const second = await store.transitionTask({
          taskId: task.id,
          to: 'failed',
          agentId: a.id,
          attempt: 2,
          error: 'exit 1: second',
          at: at(20_000),
        });
        expect(second.notBefore?.toISOString()).toBe(at(40_000).toISOString());
        // attempt 3 is the last: failed for good, every attempt's reason in the log
        await assign(task.id, a.id, 2, at(40_000));
        const dead = await store.transitionTask({
          taskId: task.id,
          to: 'failed',
          agentId: a.id,
          attempt: 3,
          error: 'exit 1: third',
          at: at(41_000),
        });
        expect(dead).toMatchObject({
          status: 'failed',
          attempt: 3,
          error: 'gave up after 3 of 3 attempts: exit 1: third',
        });
        const reasons = (await store.listTaskEvents(task.id))
          .filter((e) => e.from === 'assigned')
          .map((e) => `${e.to}: ${e.reason}`);
        expect(reasons).toEqual([
          `parked: attempt 1 of 3 failed: exit 1: first; next attempt not before ${at(11_000).toISOString()} (backoff 10s)`,
          `parked: attempt 2 of 3 failed: exit 1: second; next attempt not before ${at(40_000).toISOString()} (backoff 20s)`,
          'failed: gave up after 3 of 3 attempts: exit 1: third',
        ]);
        expect((await store.listTasks({ status: 'failed' })).map((t) => t.id)).toEqual([task.id]);
      });

      it('a lost attempt (agent offline) waits the backoff too; the operator failing a task ends it', async () => {
        const a = await agent();
        const task = await store.intakeTask({
          title: 't',
          requiredCapabilities: [],
          retryBackoffMs: 1000,
          at: t0,
        });
        await assign(task.id, a.id, 0, t0);
        const offline = await store.markAgentOffline(a.id, { reason: 'gone', at: at(500) });
        expect(offline.requeued.map((t) => t.notBefore?.toISOString())).toEqual([at(1500).toISOString()]);
        await store.recordHeartbeat(a.id, { at: at(2000) });
        await assign(task.id, a.id, 1, at(2000));
        const ended = await store.transitionTask({
          taskId: task.id,
          to: 'failed',
          error: 'operator says no',
        });
        expect(ended).toMatchObject({ status: 'failed', error: 'operator says no' });
      });

      it('the backoff is capped at one hour', async () => {
        const a = await agent();
        const task = await store.intakeTask({
          title: 't',
          requiredCapabilities: [],
          maxAttempts: 5,
          retryBackoffMs: 40 * 60_000,
          at: t0,
        });
        await assign(task.id, a.id, 0, t0);
        await store.transitionTask({ taskId: task.id, to: 'failed', agentId: a.id, attempt: 1, at: t0 });
        const second = at(40 * 60_000);
        await assign(task.id, a.id, 1, second);
        const parked = await store.transitionTask({
          taskId: task.id,
          to: 'failed',
          agentId: a.id,
          attempt: 2,
          at: second,
        });
        expect(parked.notBefore?.getTime()).toBe(second.getTime() + HOUR);
      });

      it('refuses a bad retry policy and stores nothing', async () => {
        for (const retryBackoffMs of [-1, 1.5, HOUR + 1]) {
          await expectCode(
            store.intakeTask({ title: 't', requiredCapabilities: [], retryBackoffMs }),
            'COLIBRI_INVALID_INPUT',
            /retryBackoffMs/,
          );
        }
        expect(await store.listTasks()).toEqual([]);
      });
    });

    describe('retryTask', () => {
      it('puts a failed task back with a new attempt; the old attempt is fenced', async () => {
        const a = await agent();
        const task = await store.intakeTask({ title: 't', requiredCapabilities: [], maxAttempts: 1 });
        await assign(task.id, a.id, 0, t0);
        await store.transitionTask({ taskId: task.id, to: 'failed', agentId: a.id, attempt: 1, error: 'x' });
        const retried = await store.retryTask({ taskId: task.id, attempts: 2 });
        expect(retried).toMatchObject({
          status: 'parked',
          attempt: 1,
          maxAttempts: 3,
          assignedAgentId: null,
        });
        // A late report of attempt 1 is refused, before and after the new assignment.
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'done', agentId: a.id, attempt: 1 }),
          'COLIBRI_ILLEGAL_TRANSITION',
        );
        await assign(task.id, a.id, 1, t0);
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'done', agentId: a.id, attempt: 1 }),
          'COLIBRI_STALE_ATTEMPT',
        );
        const done = await store.transitionTask({ taskId: task.id, to: 'done', agentId: a.id, attempt: 2 });
        expect(done).toMatchObject({ status: 'done', error: null });
        const events = await store.listTaskEvents(task.id);
        expect(events.map((e) => `${e.from}>${e.to}@${e.attempt}`)).toEqual([
          'null>parked@0',
          'parked>assigned@1',
          'assigned>failed@1',
          'failed>parked@1',
          'parked>assigned@2',
          'assigned>done@2',
        ]);
        expect(events[3]!.reason).toBe('retried by the operator (2 more attempts, up to 3)');
      });

      it('retries a cancelled task, and refuses a task that is done or not finished', async () => {
        const a = await agent();
        const task = await store.intakeTask({ title: 't', requiredCapabilities: [] });
        await expectCode(
          store.retryTask({ taskId: task.id }),
          'COLIBRI_ILLEGAL_TRANSITION',
          /parked, not finished/,
        );
        await store.transitionTask({ taskId: task.id, to: 'cancelled', reason: 'oops' });
        expect((await store.retryTask({ taskId: task.id, reason: 'undo' })).status).toBe('parked');
        await assign(task.id, a.id, 0, t0);
        await store.transitionTask({ taskId: task.id, to: 'done', agentId: a.id, attempt: 1 });
        await expectCode(store.retryTask({ taskId: task.id }), 'COLIBRI_ILLEGAL_TRANSITION', /is done/);
        await expectCode(
          store.retryTask({ taskId: '00000000-0000-4000-8000-000000000000' }),
          'COLIBRI_TASK_NOT_FOUND',
        );
        await expectCode(
          store.retryTask({ taskId: task.id, attempts: 0 }),
          'COLIBRI_INVALID_INPUT',
          /attempts/,
        );
      });
    });

    describe('idempotent intake', () => {
      const request = { title: 'render', requiredCapabilities: ['linux'], payload: { n: 1 } };

      it('the same key in the same tenant returns the task it made; another tenant has its own', async () => {
        await store.createTenant({ tenantId: 'acme' });
        await store.createTenant({ tenantId: 'globex' });
        const first = await store.intakeTaskOnce({ ...request, tenant: 'acme', idempotencyKey: 'order-1' });
        expect(first.created).toBe(true);
        expect(first.task.idempotencyKey).toBe('order-1');
        const again = await store.intakeTaskOnce({ ...request, tenant: 'acme', idempotencyKey: 'order-1' });
        expect(again).toEqual({ task: first.task, created: false });
        expect((await store.intakeTask({ ...request, tenant: 'acme', idempotencyKey: 'order-1' })).id).toBe(
          first.task.id,
        );
        const other = await store.intakeTaskOnce({ ...request, tenant: 'globex', idempotencyKey: 'order-1' });
        const operator = await store.intakeTaskOnce({ ...request, idempotencyKey: 'order-1' });
        const operatorAgain = await store.intakeTaskOnce({ ...request, idempotencyKey: 'order-1' });
        expect(other.created && operator.created && !operatorAgain.created).toBe(true);
        expect(operatorAgain.task.id).toBe(operator.task.id);
        expect(new Set([first.task.id, other.task.id, operator.task.id]).size).toBe(3);
        expect(await store.listTaskEvents(first.task.id)).toHaveLength(1);
        expect(await store.listTasks()).toHaveLength(3);
      });

      it('the same key with a different request is a conflict and changes nothing', async () => {
        const first = await store.intakeTaskOnce({ ...request, idempotencyKey: 'k' });
        for (const changed of [
          { payload: { n: 2 } },
          { title: 'other' },
          { requiredCapabilities: ['gpu'] },
          { maxAttempts: 5 },
          { retryBackoffMs: 1000 },
        ]) {
          await expectCode(
            store.intakeTaskOnce({ ...request, ...changed, idempotencyKey: 'k' }),
            'COLIBRI_IDEMPOTENCY_CONFLICT',
            new RegExp(`already made task ${first.task.id}`),
          );
        }
        expect(await store.listTasks()).toHaveLength(1);
        // The time of the intake is not part of the request.
        expect((await store.intakeTaskOnce({ ...request, idempotencyKey: 'k', at: at(HOUR) })).created).toBe(
          false,
        );
      });

      it('refuses malformed keys and keys in a batch', async () => {
        for (const idempotencyKey of ['', 'has space', 'x'.repeat(201), 'nul\u0000', 'é']) {
          await expectCode(
            store.intakeTaskOnce({ ...request, idempotencyKey }),
            'COLIBRI_INVALID_INPUT',
            /idempotencyKey/,
          );
        }
        await expectCode(
          store.intakeTasks([request, { ...request, idempotencyKey: 'k' }]),
          'COLIBRI_INVALID_INPUT',
          /intakeTasks\[1\]: idempotencyKey/,
        );
        expect(await store.listTasks()).toEqual([]);
      });

      it('concurrent intakes with one key from several processes create exactly one task', async () => {
        const startAt = Date.now() + 1500;
        const results = (
          await Promise.all(
            [1, 2, 3, 4].map(() =>
              runWorker('intake-once', config, { startAt, key: 'same', copies: 5, request }),
            ),
          )
        ).flat() as { id?: string; created?: boolean; error?: string }[];
        expect(results).toHaveLength(20);
        expect(results.filter((r) => r.error !== undefined)).toEqual([]);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        const tasks = await store.listTasks();
        expect(tasks.map((t) => t.id)).toEqual([results[0]!.id]);
        expect(await store.listTaskEvents(tasks[0]!.id)).toHaveLength(1);
      });
    });
  });
}
