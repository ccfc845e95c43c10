import { rmSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { codeOf, type Daemon, eventually, logPathFor, raw, startDaemon } from './daemon-harness.js';

// Automatic retries with backoff, the dead letter, retry-task and idempotent intake against a real
// colibrid process, on SQLite and on PostgreSQL. No assertion is on elapsed time: the backoff is
// checked from the event log (an assignment never before the task's notBefore).
const urls = inject('retryDatabaseUrls');
let nextUrl = 0;

const DIALECTS = ['sqlite', 'postgres'] as const;

describe.each(DIALECTS)('retries and idempotent intake (%s)', (dialect) => {
  const daemons: Daemon[] = [];
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.dispose();
  });

  function storeArgs(): string[] {
    if (dialect === 'sqlite') return [];
    const url = urls[nextUrl++];
    if (url === undefined) throw new Error('global-setup made too few databases for this file');
    return ['--database-url', url];
  }

  async function start(args: readonly string[] = []): Promise<Daemon> {
    const daemon = await startDaemon({ args: [...storeArgs(), ...args] });
    daemons.push(daemon);
    return daemon;
  }

  it('a failed attempt waits its backoff, is retried with a new attempt, then ends as a dead letter', {
    timeout: 60_000,
  }, async () => {
    const daemon = await start();
    const { agent, token } = await daemon.operator.registerAgent({ name: 'flaky', capabilities: ['linux'] });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({
      title: 'flaky upload',
      requiredCapabilities: ['linux'],
      retries: 2,
      retryBackoffMs: 400,
    });
    expect(task).toMatchObject({ maxAttempts: 3, retryBackoffMs: 400, attempt: 1, status: 'assigned' });
    for (const attempt of [1, 2, 3]) {
      const polled = await worker.poll(agent.id, { waitSeconds: 30 });
      expect(polled.tasks.map((t) => [t.id, t.attempt])).toEqual([[task.id, attempt]]);
      const { task: after } = await worker.transitionTask(task.id, {
        to: 'failed',
        attempt,
        error: `exit 1 (try ${attempt})`,
      });
      if (attempt < 3) {
        expect(after).toMatchObject({ status: 'parked', attempt, error: `exit 1 (try ${attempt})` });
        expect(after.notBefore).not.toBeNull();
      } else {
        expect(after).toMatchObject({
          status: 'failed',
          error: 'gave up after 3 of 3 attempts: exit 1 (try 3)',
        });
      }
    }
    const { events } = await daemon.operator.showTask(task.id);
    const retried = events.filter((e) => e.from !== null && e.to === 'parked');
    expect(retried.map((e) => e.reason)).toEqual([
      expect.stringMatching(
        /^attempt 1 of 3 failed: exit 1 \(try 1\); next attempt not before .* \(backoff 400ms\)$/,
      ),
      expect.stringMatching(
        /^attempt 2 of 3 failed: exit 1 \(try 2\); next attempt not before .* \(backoff 800ms\)$/,
      ),
    ]);
    // Each re-assignment came no earlier than the time its failure named.
    for (const parked of retried) {
      const notBefore = Date.parse(/not before (\S+)/.exec(parked.reason!)![1]!);
      const next = events.find((e) => e.id > parked.id && e.to === 'assigned');
      expect(Date.parse(next!.at)).toBeGreaterThanOrEqual(notBefore);
    }
    // The dead-letter view.
    const { tasks } = await daemon.operator.listTasks({ status: 'failed' });
    expect(tasks.map((t) => t.id)).toEqual([task.id]);
  });

  it('retry-task puts a failed task back with a new attempt; the old attempt is fenced', {
    timeout: 60_000,
  }, async () => {
    const daemon = await start();
    const { agent, token } = await daemon.operator.registerAgent({ name: 'runner', capabilities: ['linux'] });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'once', requiredCapabilities: ['linux'] });
    expect(task.retryBackoffMs).toBeNull();
    // Not finished yet: refused, nothing changes.
    expect(await codeOf(daemon.operator.retryTask(task.id))).toBe('COLIBRI_ILLEGAL_TRANSITION');
    const refused = await raw(daemon.socketPath, {
      method: 'POST',
      path: `/v1/tasks/${task.id}/retry`,
      headers: { authorization: `Bearer ${daemon.operatorToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(409);
    // Without a retry policy a handler failure ends the task at once.
    const failed = await worker.transitionTask(task.id, { to: 'failed', attempt: 1, error: 'disk full' });
    expect(failed.task).toMatchObject({ status: 'failed', error: 'disk full' });
    // An agent may not retry; the operator may.
    expect(await codeOf(worker.retryTask(task.id))).toBe('COLIBRI_FORBIDDEN');
    const { task: retried } = await daemon.operator.retryTask(task.id, { reason: 'disk replaced' });
    expect(retried).toMatchObject({
      status: 'assigned',
      attempt: 2,
      maxAttempts: 2,
      assignedAgentId: agent.id,
    });
    expect(await codeOf(worker.transitionTask(task.id, { to: 'done', attempt: 1, result: 'late' }))).toBe(
      'COLIBRI_STALE_ATTEMPT',
    );
    const done = await worker.transitionTask(task.id, { to: 'done', attempt: 2, result: 'ok' });
    expect(done.task).toMatchObject({ status: 'done', result: 'ok', error: null });
    const { events } = await daemon.operator.showTask(task.id);
    expect(events.map((e) => `${e.from}>${e.to}@${e.attempt}`)).toEqual([
      'null>parked@0',
      'parked>assigned@1',
      'assigned>failed@1',
      'failed>parked@1',
      'parked>assigned@2',
      'assigned>done@2',
    ]);
    expect(events[3]?.reason).toBe('disk replaced (1 more attempt, up to 2)');
    expect(await codeOf(daemon.operator.retryTask(task.id))).toBe('COLIBRI_ILLEGAL_TRANSITION');
  });

  it('the same idempotency key returns the same task (201, then 200 created:false); another request is a conflict', {
    timeout: 60_000,
  }, async () => {
    const daemon = await start();
    const post = (body: unknown) =>
      raw(daemon.socketPath, {
        method: 'POST',
        path: '/v1/tasks',
        headers: { authorization: `Bearer ${daemon.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const request = {
      title: 'invoice 1234',
      requiredCapabilities: ['linux'],
      idempotencyKey: 'invoice-1234',
    };
    const first = await post(request);
    expect(first.status).toBe(201);
    const made = first.json as { created: boolean; task: { id: string; idempotencyKey: string } };
    expect(made.created).toBe(true);
    expect(made.task.idempotencyKey).toBe('invoice-1234');
    const again = await post(request);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ created: false, task: { id: made.task.id }, warnings: [] });
    const conflict = await post({ ...request, payload: { other: true } });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({ error: { code: 'COLIBRI_IDEMPOTENCY_CONFLICT' } });
    expect(await codeOf(daemon.operator.intakeTask({ ...request, idempotencyKey: 'has space' }))).toBe(
      'COLIBRI_INVALID_INPUT',
    );
    expect(
      await codeOf(
        daemon.operator.intakeTask({ ...request, idempotencyKey: 'k2', retries: 1, maxAttempts: 2 }),
      ),
    ).toBe('COLIBRI_INVALID_INPUT');
    // Concurrent duplicates over HTTP: one task.
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => daemon.operator.intakeTask({ ...request, idempotencyKey: 'burst' })),
    );
    expect(burst.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(burst.map((r) => r.task.id)).size).toBe(1);
    const { tasks } = await daemon.operator.listTasks({ limit: 100 });
    expect(tasks).toHaveLength(2);
  });

  it('kill -9 right after the 201, then a restart: the retried intake returns the same task', {
    timeout: 90_000,
  }, async () => {
    const args = storeArgs();
    const first = await startDaemon({ args, keepHome: true });
    const home = first.home;
    try {
      const request = {
        title: 'exactly once',
        requiredCapabilities: ['gpu'],
        payload: { n: 1 },
        idempotencyKey: 'order-77',
      };
      const made = await first.operator.intakeTask(request);
      expect(made.created).toBe(true);
      first.child.kill('SIGKILL');
      expect((await first.stop()).signal).toBe('SIGKILL');
      const second = await startDaemon({ home, args });
      daemons.push(second);
      const again = await second.operator.intakeTask(request);
      expect(again).toMatchObject({ created: false, task: { id: made.task.id, status: 'parked' } });
      const { tasks } = await second.operator.listTasks({ limit: 100 });
      expect(tasks.map((t) => t.id)).toEqual([made.task.id]);
    } finally {
      rmSync(logPathFor(home), { force: true });
    }
  });

  it('a task waiting out its backoff is assigned once it is due, also by the safety sweep after a restart', {
    timeout: 90_000,
  }, async () => {
    const args = storeArgs();
    const first = await startDaemon({ args, keepHome: true });
    const home = first.home;
    try {
      const { agent, token } = await first.operator.registerAgent({
        name: 'worker',
        capabilities: ['linux'],
      });
      const { task } = await first.operator.intakeTask({
        title: 'retry across a restart',
        requiredCapabilities: ['linux'],
        retries: 1,
        retryBackoffMs: 1500,
      });
      const failed = await first
        .client(token)
        .transitionTask(task.id, { to: 'failed', attempt: 1, error: 'x' });
      expect(failed.task.status).toBe('parked');
      await first.stop('SIGTERM');
      const second = await startDaemon({ home, args: [...args, '--heartbeat-ttl', '10m'] });
      daemons.push(second);
      const polled = await eventually(async () => {
        const answer = await second.client(token).poll(agent.id, { waitSeconds: 5 });
        return answer.tasks.length > 0 ? answer : undefined;
      }, 'the retried task');
      expect(polled.tasks.map((t) => [t.id, t.attempt])).toEqual([[task.id, 2]]);
      const { events } = await second.operator.showTask(task.id);
      const assigned = events.filter((e) => e.to === 'assigned').at(-1)!;
      expect(Date.parse(assigned.at)).toBeGreaterThanOrEqual(Date.parse(failed.task.notBefore!));
    } finally {
      rmSync(logPathFor(home), { force: true });
    }
  });
});

describe('two colibrid processes on one PostgreSQL database', () => {
  const daemons: Daemon[] = [];
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.dispose();
  });

  it('concurrent intakes with one key through both create exactly one task; its retries and retry-task work across them', {
    timeout: 90_000,
  }, async () => {
    const url = urls.at(-1);
    if (url === undefined) throw new Error('global-setup made too few databases for this file');
    for (let i = 0; i < 2; i++) daemons.push(await startDaemon({ args: ['--database-url', url] }));
    const [a, b] = daemons as [Daemon, Daemon];
    const request = {
      title: 'one of many',
      requiredCapabilities: ['linux'],
      retries: 1,
      retryBackoffMs: 300,
      idempotencyKey: 'shared-key',
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).operator.intakeTask(request)),
    );
    expect(answers.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(answers.map((r) => r.task.id)).size).toBe(1);
    const taskId = answers[0]!.task.id;

    // The agent lives on b; its failure is retried after the backoff (b's timer, or a's through the change feed).
    const { agent, token } = await b.operator.registerAgent({
      name: 'shared-worker',
      capabilities: ['linux'],
    });
    const worker = b.client(token);
    const first = await eventually(async () => {
      const polled = await worker.poll(agent.id, { waitSeconds: 5 });
      return polled.tasks.find((t) => t.id === taskId);
    }, 'the keyed task assigned');
    expect(first).toMatchObject({ attempt: 1, retryBackoffMs: 300 });
    const failed = await worker.transitionTask(taskId, { to: 'failed', attempt: 1, error: 'boom' });
    expect(failed.task.status).toBe('parked');
    const again = await eventually(async () => {
      const polled = await worker.poll(agent.id, { waitSeconds: 5 });
      return polled.tasks.find((t) => t.id === taskId && t.attempt === 2);
    }, 'the automatic retry assigned');
    const { events } = await a.operator.showTask(taskId);
    const reassigned = events.filter((e) => e.to === 'assigned').at(-1)!;
    expect(Date.parse(reassigned.at)).toBeGreaterThanOrEqual(Date.parse(failed.task.notBefore!));
    // The last attempt fails too: a dead letter; retry-task through the other daemon puts it back.
    const dead = await worker.transitionTask(taskId, { to: 'failed', attempt: again.attempt, error: 'boom' });
    expect(dead.task).toMatchObject({ status: 'failed', error: 'gave up after 2 of 2 attempts: boom' });
    const { task: retried } = await a.operator.retryTask(taskId);
    expect(retried.maxAttempts).toBe(3);
    const second = await eventually(async () => {
      const polled = await worker.poll(agent.id, { waitSeconds: 5 });
      return polled.tasks.find((t) => t.id === taskId && t.attempt === 3);
    }, 'the retried task assigned');
    expect(await codeOf(worker.transitionTask(taskId, { to: 'done', attempt: 2 }))).toBe(
      'COLIBRI_STALE_ATTEMPT',
    );
    const done = await worker.transitionTask(taskId, { to: 'done', attempt: second.attempt, result: 'ok' });
    expect(done.task.status).toBe('done');
    const { tasks } = await a.operator.listTasks({ limit: 100 });
    expect(tasks.map((t) => t.id)).toEqual([taskId]);
  });
});
