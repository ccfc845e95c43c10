import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, snapshot, startDaemon } from './daemon-harness.js';

describe('POST /v1/agents/:id/offline (a stopping agent hands its work back)', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('the agent goes offline at once; its running and assigned tasks go to another agent or fail', async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h', '--lease', '1h'] });
    const leaving = await daemon.operator.registerAgent({
      name: 'leaving',
      capabilities: ['linux'],
      slots: 4,
    });
    const worker = daemon.client(leaving.token);
    const running = await daemon.operator.intakeTask({ title: 'running', requiredCapabilities: ['linux'] });
    const waiting = await daemon.operator.intakeTask({ title: 'waiting', requiredCapabilities: ['linux'] });
    const last = await daemon.operator.intakeTask({
      title: 'last chance',
      requiredCapabilities: ['linux'],
      maxAttempts: 1,
    });
    for (const { assignedTo } of [running, waiting, last]) expect(assignedTo?.id).toBe(leaving.agent.id);
    await worker.transitionTask(running.task.id, { to: 'running', attempt: 1 });
    // A bystander of another lane: untouched by someone else going offline.
    const bystander = await daemon.operator.registerAgent({ name: 'bystander', capabilities: ['freebsd'] });
    const theirs = await daemon.operator.intakeTask({ title: 'theirs', requiredCapabilities: ['freebsd'] });

    const answer = await worker.goOffline(leaving.agent.id, { reason: 'drained on SIGTERM' });
    expect(answer.agent).toMatchObject({ id: leaving.agent.id, status: 'offline', activeTasks: 0 });
    expect([...answer.requeued].sort()).toEqual([running.task.id, waiting.task.id].sort());
    expect(answer.failed).toEqual([last.task.id]);

    const handedBack = await daemon.operator.showTask(running.task.id);
    expect(handedBack.task).toMatchObject({ status: 'parked', assignedAgentId: null, attempt: 1 });
    expect(handedBack.events.at(-1)).toMatchObject({
      from: 'running',
      to: 'parked',
      reason: 'drained on SIGTERM',
    });
    expect((await daemon.operator.showTask(last.task.id)).task).toMatchObject({ status: 'failed' });
    expect((await daemon.operator.showTask(theirs.task.id)).task).toMatchObject({
      status: 'assigned',
      assignedAgentId: bystander.agent.id,
    });

    // A capable agent appears: the handed-back tasks go to it, each with a new attempt.
    const successor = await daemon.operator.registerAgent({
      name: 'successor',
      capabilities: ['linux'],
      slots: 4,
    });
    const moved = await daemon.operator.showTask(running.task.id);
    expect(moved.task).toMatchObject({ status: 'assigned', assignedAgentId: successor.agent.id, attempt: 2 });
    // The leaving agent's late completion is refused by the fencing token.
    expect(
      await codeOf(worker.transitionTask(running.task.id, { to: 'done', attempt: 1, result: 'late' })),
    ).toBe('COLIBRI_STALE_ATTEMPT');

    // Its next heartbeat brings it back online.
    const { agent } = await worker.heartbeat(leaving.agent.id);
    expect(agent.status).toBe('idle');
  });

  it('without a reason the event log says who took the agent offline; the operator may too', async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h', '--lease', '1h'] });
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'a1',
      capabilities: ['linux'],
      slots: 4,
    });
    const first = await daemon.operator.intakeTask({ title: 'one', requiredCapabilities: ['linux'] });
    await daemon.client(token).goOffline(agent.id);
    expect((await daemon.operator.showTask(first.task.id)).events.at(-1)?.reason).toBe(
      'taken offline by the agent itself',
    );
    await daemon.client(token).heartbeat(agent.id);
    const second = await daemon.operator.intakeTask({ title: 'two', requiredCapabilities: ['linux'] });
    const answer = await daemon.operator.goOffline(agent.id);
    expect(answer.agent.status).toBe('offline');
    expect(answer.requeued).toContain(second.task.id);
    expect((await daemon.operator.showTask(second.task.id)).events.at(-1)?.reason).toBe(
      'taken offline by the operator',
    );
  });

  it('another agent, an unknown agent, a bad body or no token are refused and change nothing', async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h', '--lease', '1h'] });
    const victim = await daemon.operator.registerAgent({ name: 'victim', capabilities: ['linux'], slots: 4 });
    const other = await daemon.operator.registerAgent({ name: 'other', capabilities: ['linux'], slots: 4 });
    await daemon.operator.intakeTask({ title: 'work', requiredCapabilities: ['linux'] });
    const before = await snapshot(daemon);
    expect(await codeOf(daemon.client(other.token).goOffline(victim.agent.id))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(daemon.operator.goOffline('00000000-0000-4000-8000-000000000000'))).toBe(
      'COLIBRI_AGENT_NOT_FOUND',
    );
    expect(
      await codeOf(
        daemon
          .client(victim.token)
          .goOffline(victim.agent.id, { reason: 'x', extra: 1 } as { reason: string }),
      ),
    ).toBe('COLIBRI_INVALID_INPUT');
    expect(await codeOf(daemon.client(victim.token).goOffline(victim.agent.id, { reason: '' }))).toBe(
      'COLIBRI_INVALID_INPUT',
    );
    expect(await codeOf(daemon.client().goOffline(victim.agent.id))).toBe('COLIBRI_UNAUTHENTICATED');
    expect(await snapshot(daemon)).toBe(before);
  });
});
