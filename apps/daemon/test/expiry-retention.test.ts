import { afterEach, describe, expect, inject, it } from 'vitest';
import { codeOf, type Daemon, eventually, raw, snapshot, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

// Expiry (issue 15 item 1), retention (item 7) and the stderr tail (item 8) against a real colibrid
// on both drivers. Nothing asserts on elapsed time: each wait polls until the state is there, and
// the test timeout is the failure guard.
const drivers = [
  { name: 'sqlite', args: (_i: number): string[] => [] },
  { name: 'postgres', args: (i: number) => ['--database-url', inject('lifecycleDatabaseUrls')[i]!] },
];

async function metrics(daemon: Daemon) {
  const answer = await raw(daemon.socketPath, {
    method: 'GET',
    path: '/metrics',
    headers: { authorization: `Bearer ${daemon.operatorToken}` },
  });
  return parseExposition(answer.text);
}

describe.each(drivers)('expiry and retention ($name)', (driver) => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('a task still parked at its deadline expires with the reason, by the daemon default or its own; never with expireAfterSeconds null', {
    timeout: 60_000,
  }, async () => {
    daemon = await startDaemon({ args: ['--expire-after', '2s', ...driver.args(0)] });
    const { token } = await daemon.operator.registerAgent({ name: 'cpu-box', capabilities: ['linux'] });
    const byDefault = (await daemon.operator.intakeTask({ title: 'train', requiredCapabilities: ['gpu'] }))
      .task;
    const own = (
      await daemon.operator.intakeTask({
        title: 'train fast',
        requiredCapabilities: ['gpu'],
        expireAfterSeconds: 1,
      })
    ).task;
    const never = (
      await daemon.operator.intakeTask({
        title: 'wait forever',
        requiredCapabilities: ['gpu'],
        expireAfterSeconds: null,
      })
    ).task;
    expect(Date.parse(byDefault.expiresAt!) - Date.parse(byDefault.createdAt)).toBe(2000);
    expect(Date.parse(own.expiresAt!) - Date.parse(own.createdAt)).toBe(1000);
    expect(never.expiresAt).toBeNull();

    for (const [task, wait] of [
      [byDefault, '2s'],
      [own, '1s'],
    ] as const) {
      const shown = await eventually(async () => {
        const s = await daemon!.operator.showTask(task.id);
        return s.task.status === 'expired' ? s : undefined;
      }, `task ${task.title} to expire`);
      expect(shown.parked).toBeUndefined();
      expect(shown.events.at(-1)).toMatchObject({
        from: 'parked',
        to: 'expired',
        reason: `no capable agent within ${wait}; missing gpu on every online agent`,
      });
    }
    // The one that asked for no expiry has no deadline to pass: still parked, still explained.
    const waiting = await daemon.operator.showTask(never.id);
    expect(waiting.task.status).toBe('parked');
    expect(waiting.parked?.unmatchedTags).toEqual(['gpu']);

    const expired = await daemon.operator.listTasks({ status: 'expired' });
    expect(expired.tasks.map((t) => t.id).sort()).toEqual([byDefault.id, own.id].sort());
    expect((await daemon.operator.status()).tasks.expired).toBe(2);
    const m = await metrics(daemon);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'expired' })).toBe(2);
    expect(m.value('colibri_tasks', { status: 'expired' })).toBe(2);
    // Terminal: a gpu agent joining later is not given an expired task; cancelling one is refused.
    const gpu = await daemon.operator.registerAgent({ name: 'gpu-box', capabilities: ['gpu'] });
    const assigned = await eventually(async () => {
      const { tasks } = await daemon!.operator.listTasks({ status: 'assigned' });
      return tasks.length > 0 ? tasks : undefined;
    }, 'the never-expiring task to go to the gpu agent');
    expect(assigned.map((t) => [t.id, t.assignedAgentId])).toEqual([[never.id, gpu.agent.id]]);
    expect(await codeOf(daemon.operator.transitionTask(own.id, { to: 'cancelled' }))).toBe(
      'COLIBRI_ILLEGAL_TRANSITION',
    );

    // The stderr tail reported with an outcome is kept and shown.
    const linux = (await daemon.operator.intakeTask({ title: 'build', requiredCapabilities: ['linux'] }))
      .task;
    const agent = daemon.client(token);
    await agent.transitionTask(linux.id, { to: 'running', attempt: 1 });
    const tail = 'compiling\nwarning: \\x1b[31m escaped by the agent\n';
    await agent.transitionTask(linux.id, { to: 'failed', attempt: 1, error: 'exit 2', stderrTail: tail });
    const failed = await daemon.operator.showTask(linux.id);
    expect(failed.stderrTail).toBe(tail);
    expect(failed.task.expiresAt).not.toBeNull();
  });

  it('refuses a bad expiry, stderr tail or prune request, changing nothing; prunes only finished tasks on request', {
    timeout: 60_000,
  }, async () => {
    daemon = await startDaemon({ args: driver.args(1) });
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'cpu-box',
      capabilities: ['linux'],
    });
    const parked = (await daemon.operator.intakeTask({ title: 'parked', requiredCapabilities: ['gpu'] }))
      .task;
    expect(parked.expiresAt).toBeNull();
    const held = (await daemon.operator.intakeTask({ title: 'held', requiredCapabilities: ['linux'] })).task;
    const before = await snapshot(daemon);
    for (const expireAfterSeconds of [0, -5, 1.5, '30m' as unknown as number]) {
      expect(
        await codeOf(
          daemon.operator.intakeTask({ title: 'bad', requiredCapabilities: [], expireAfterSeconds }),
        ),
      ).toBe('COLIBRI_INVALID_INPUT');
    }
    const client = daemon.client(token);
    expect(
      await codeOf(
        client.transitionTask(held.id, { to: 'done', attempt: 1, stderrTail: 'x'.repeat(65 * 1024) }),
      ),
    ).toBe('COLIBRI_INVALID_INPUT');
    expect(await codeOf(daemon.operator.prune({ olderThanSeconds: 0 }))).toBe('COLIBRI_INVALID_INPUT');
    expect(await codeOf(client.prune({ olderThanSeconds: 60 }))).toBe('COLIBRI_FORBIDDEN');
    expect(await snapshot(daemon)).toBe(before);

    await client.transitionTask(held.id, { to: 'done', attempt: 1, result: { ok: true } });
    const cancelled = (
      await daemon.operator.intakeTask({ title: 'cancelled', requiredCapabilities: ['gpu'] })
    ).task;
    await daemon.operator.transitionTask(cancelled.id, { to: 'cancelled', reason: 'not needed' });
    // Finished a moment ago: a 1 h cutoff keeps them; a 1 s cutoff, once a second has passed, takes them.
    expect(await daemon.operator.prune({ olderThanSeconds: 3600, dryRun: true })).toMatchObject({
      dryRun: true,
      tasks: 0,
      events: 0,
    });
    const dry = await eventually(async () => {
      const counted = await daemon!.operator.prune({ olderThanSeconds: 1, dryRun: true });
      return counted.tasks === 2 ? counted : undefined;
    }, 'both finished tasks to be older than 1 s');
    expect(dry.events).toBe(5);
    expect((await daemon.operator.listTasks()).tasks).toHaveLength(3);
    const pruned = await daemon.operator.prune({ olderThanSeconds: 1 });
    expect(pruned).toMatchObject({ dryRun: false, tasks: 2, events: 5 });
    expect((await daemon.operator.listTasks()).tasks.map((t) => t.id)).toEqual([parked.id]);
    expect(await codeOf(daemon.operator.showTask(held.id))).toBe('COLIBRI_TASK_NOT_FOUND');
    const m = await metrics(daemon);
    expect(m.value('colibri_pruned_rows_total', { kind: 'tasks' })).toBe(2);
    expect(m.value('colibri_pruned_rows_total', { kind: 'events' })).toBe(5);
    expect(agent.id).toBeDefined();
  });

  it('--retain prunes finished tasks in the background and never a parked or running one', {
    timeout: 90_000,
  }, async () => {
    daemon = await startDaemon({
      args: ['--retain', '1s', '--sweep-interval', '1s', ...driver.args(2)],
    });
    const { token } = await daemon.operator.registerAgent({ name: 'cpu-box', capabilities: ['linux'] });
    const client = daemon.client(token);
    const parked = (await daemon.operator.intakeTask({ title: 'parked', requiredCapabilities: ['gpu'] }))
      .task;
    const running = (await daemon.operator.intakeTask({ title: 'running', requiredCapabilities: ['linux'] }))
      .task;
    await client.transitionTask(running.id, { to: 'running', attempt: 1 });
    const finished = (await daemon.operator.intakeTask({ title: 'finished', requiredCapabilities: ['gpu'] }))
      .task;
    await daemon.operator.transitionTask(finished.id, { to: 'cancelled' });
    await eventually(
      async () =>
        (await codeOf(daemon!.operator.showTask(finished.id))) === 'COLIBRI_TASK_NOT_FOUND'
          ? true
          : undefined,
      'the finished task to be pruned',
    );
    const left = (await daemon.operator.listTasks()).tasks;
    expect(left.map((t) => `${t.title}:${t.status}`).sort()).toEqual(['parked:parked', 'running:running']);
    expect(left.some((t) => t.id === parked.id)).toBe(true);
    const m = await metrics(daemon);
    expect(m.value('colibri_pruned_rows_total', { kind: 'tasks' })).toBeGreaterThanOrEqual(1);
  });
});

describe('colibrid refuses a bad --expire-after or --retain', () => {
  it.each([
    ['--expire-after', '0'],
    ['--expire-after', 'soon'],
    ['--retain', '500ms'],
    ['--retain', '-1d'],
  ])('%s %s exits 2 naming the flag', { timeout: 30_000 }, async (flag, value) => {
    await expect(startDaemon({ args: [flag, value] })).rejects.toThrow(
      new RegExp(`exited \\(2\\)[\\s\\S]*${flag}`),
    );
  });
});
