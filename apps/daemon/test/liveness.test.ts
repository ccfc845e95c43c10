import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, eventually, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

async function outcomes(daemon: Daemon) {
  const m = parseExposition(await daemon.operator.metrics());
  const of = (outcome: string) => m.value('colibri_task_outcomes_total', { outcome });
  return { requeued: of('requeued'), failed: of('failed'), done: of('done') };
}

describe('leases and liveness', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('a lapsed lease re-queues the task; the old holder cannot complete it (409)', async () => {
    daemon = await startDaemon({
      args: ['--lease', '1s', '--heartbeat-ttl', '1h', '--sweep-interval', '1s'],
    });
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'slowpoke',
      capabilities: ['linux'],
      slots: 4,
    });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'slow', requiredCapabilities: ['linux'] });
    const [mine] = (await worker.poll(agent.id)).tasks;
    expect(mine).toMatchObject({ id: task.id, attempt: 1 });
    await worker.transitionTask(task.id, { to: 'running', attempt: 1 });
    // The agent now falls silent: no heartbeat, no poll renews the lease.
    const events = await eventually(async () => {
      const { events } = await daemon!.operator.showTask(task.id);
      return events.some((e) => e.reason === 'lease expired') ? events : undefined;
    }, 'the lease to expire');
    expect(events.find((e) => e.reason === 'lease expired')).toMatchObject({
      from: 'running',
      to: 'parked',
      attempt: 1,
    });
    const before = (await daemon.operator.showTask(task.id)).events.length;
    expect(await codeOf(worker.transitionTask(task.id, { to: 'done', attempt: 1, result: 'late' }))).toBe(
      'COLIBRI_STALE_ATTEMPT',
    );
    const after = await daemon.operator.showTask(task.id);
    expect(after.task.status).not.toBe('done');
    expect(after.task.result).toBeNull();
    expect(after.events.filter((e) => e.to === 'done')).toEqual([]);
    expect(after.events.length).toBeGreaterThanOrEqual(before);
    expect(await outcomes(daemon)).toEqual({ requeued: 1, failed: 0, done: 0 });
  });

  it('an agent silent past TTL + grace goes offline; its work is re-queued or failed, then it comes back', async () => {
    daemon = await startDaemon({
      args: ['--heartbeat-ttl', '1s', '--grace', '500ms', '--lease', '1h', '--sweep-interval', '1s'],
    });
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'flaky',
      capabilities: ['linux'],
      slots: 4,
    });
    const once = await daemon.operator.intakeTask({
      title: 'once',
      requiredCapabilities: ['linux'],
      maxAttempts: 1,
    });
    const twice = await daemon.operator.intakeTask({ title: 'twice', requiredCapabilities: ['linux'] });
    expect(once.assignedTo?.id).toBe(agent.id);
    expect(twice.assignedTo?.id).toBe(agent.id);

    await eventually(async () => {
      const { agents } = await daemon!.operator.listAgents({ status: 'offline' });
      return agents.length === 1 ? agents : undefined;
    }, 'the agent to go offline');
    const failed = await daemon.operator.showTask(once.task.id);
    expect(failed.task).toMatchObject({ status: 'failed', assignedAgentId: agent.id });
    expect(failed.task.error).toMatch(/gave up after 1 of 1 attempts: no heartbeat/);
    expect(failed.events.at(-1)).toMatchObject({ from: 'assigned', to: 'failed' });
    const requeued = await daemon.operator.showTask(twice.task.id);
    expect(requeued.task).toMatchObject({ status: 'parked', attempt: 1 });
    expect(requeued.events.at(-1)?.reason).toMatch(/no heartbeat for 1.5s/);
    expect(await outcomes(daemon)).toEqual({ requeued: 1, failed: 1, done: 0 });

    // Back online: the parked task is assigned again at once, with a new attempt (fencing token).
    await daemon.client(token).heartbeat(agent.id);
    const again = await daemon.operator.showTask(twice.task.id);
    expect(again.task).toMatchObject({ status: 'assigned', assignedAgentId: agent.id, attempt: 2 });
  });
});
