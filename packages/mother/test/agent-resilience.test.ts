// The mother under trouble, with real processes: the daemon killed and restarted mid-task, the
// bridge dropped while the task is re-queued, a daemon not there yet, and a drain on stop.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { intake, settled, startAgent, stopAllAgents } from './agent-helpers.js';
import {
  type Bridge,
  createWorkspace,
  type Daemon,
  eventually,
  GATE_HANDLER,
  gone,
  startBridge,
  startDaemon,
  type Workspace,
} from './hive-harness.js';

describe('runAgent: surviving the daemon and the bridge', () => {
  let daemon: Daemon;
  let ws: Workspace;
  let bridge: Bridge | undefined;
  beforeEach(async () => {
    daemon = await startDaemon();
    ws = createWorkspace();
    ws.handler('gate', GATE_HANDLER);
  });
  afterEach(async () => {
    await stopAllAgents();
    await bridge?.close();
    bridge = undefined;
    await daemon.dispose();
    ws.dispose();
  });

  it('the daemon is killed (SIGKILL) and restarted mid-task: the agent reconnects and the completion lands exactly once', async () => {
    const { run, log } = startAgent(daemon, ws);
    const agentId = await run.ready;
    const task = await intake(daemon, { handler: 'gate', release: ws.path('go'), value: 'first' });
    await log.waitFor('task-started', (e) => e.taskId === task.id);

    await daemon.stop('SIGKILL');
    ws.release('go');
    // The handler finished while nobody answered: the report is kept and retried.
    await log.waitFor('report-retry', (e) => e.taskId === task.id && e.to === 'done');
    await log.waitFor('connection-lost', (e) => e.during === 'poll' || e.during === 'heartbeat');

    await daemon.restart();
    await log.waitFor('report-delivered', (e) => e.taskId === task.id && e.to === 'done');
    const shown = await settled(daemon, task.id);
    expect(shown.task).toMatchObject({ status: 'done', attempt: 1, result: { value: 'first', attempt: 1 } });
    expect(shown.events.filter((e) => e.to === 'done')).toHaveLength(1);
    expect(log.all('report-delivered').filter((e) => e.taskId === task.id && e.to === 'done')).toHaveLength(
      1,
    );

    // Reconnected: the next task runs as usual, by the same agent.
    const next = await intake(daemon, { handler: 'gate', value: 'second' });
    expect((await settled(daemon, next.id)).task).toMatchObject({
      status: 'done',
      assignedAgentId: agentId,
      result: { value: 'second' },
    });
    expect(log.all('connection-restored').map((e) => e.during)).toContain('poll');
    // One report per outage, not one per retry.
    expect(log.all('connection-lost').filter((e) => e.during === 'poll')).toHaveLength(1);
  });

  it('a task re-queued while the bridge was down: the late completion is refused by its attempt and never retried', async () => {
    bridge = await startBridge(daemon.socketPath);
    const { run, log } = startAgent(daemon, ws, { daemon: { url: bridge.url } });
    const agentId = await run.ready;
    const task = await intake(daemon, { handler: 'gate', release: ws.path('go') });
    await log.waitFor('task-started', (e) => e.taskId === task.id && e.attempt === 1);

    await bridge.drop();
    // While the agent is away the operator re-queues the task; the daemon, still counting the
    // agent online, assigns it to it again as attempt 2.
    await daemon.operator.transitionTask(task.id, { to: 'parked', reason: 'operator re-queued it' });
    expect((await daemon.operator.showTask(task.id)).task).toMatchObject({
      status: 'assigned',
      assignedAgentId: agentId,
      attempt: 2,
    });
    ws.release('go');
    await log.waitFor('report-retry', (e) => e.taskId === task.id && e.attempt === 1 && e.to === 'done');

    await bridge.restore();
    const dropped = await log.waitFor('report-dropped', (e) => e.taskId === task.id && e.attempt === 1);
    expect(dropped).toMatchObject({ to: 'done', code: 'COLIBRI_STALE_ATTEMPT' });
    const shown = await settled(daemon, task.id);
    expect(shown.task).toMatchObject({ status: 'done', attempt: 2, result: { attempt: 2 } });
    expect(shown.events.filter((e) => e.to === 'done').map((e) => e.attempt)).toEqual([2]);

    // Once refused, attempt 1's report was never sent again (nor retried).
    const droppedAt = log.events.indexOf(dropped);
    const attemptOneAfter = log.events
      .slice(droppedAt + 1)
      .filter((e) => 'attempt' in e && 'taskId' in e && e.taskId === task.id && e.attempt === 1);
    expect(attemptOneAfter).toEqual([]);
    // Attempt 1 was claimed by its poll (no running report) and its done report was refused.
    expect(log.all('report-delivered').filter((e) => e.taskId === task.id && e.attempt === 1)).toEqual([]);
    expect(shown.events.filter((e) => e.to === 'running').map((e) => [e.from, e.attempt])).toEqual([
      ['assigned', 1],
      ['assigned', 2],
    ]);
  });

  it('a newer attempt of a task still running here stops the old run; only the new one reports', async () => {
    bridge = await startBridge(daemon.socketPath);
    const { run, log } = startAgent(daemon, ws, { daemon: { url: bridge.url }, slots: 2 });
    const agentId = await run.ready;
    const task = await intake(daemon, {
      handler: 'gate',
      release: ws.path('go'),
      pidFile: ws.path('first.pid'),
    });
    await log.waitFor('task-started', (e) => e.taskId === task.id && e.attempt === 1);
    const firstPid = Number(
      await eventually('the first run pid', () =>
        existsSync(ws.path('first.pid'))
          ? readFileSync(ws.path('first.pid'), 'utf8') || undefined
          : undefined,
      ),
    );
    await bridge.drop();
    await daemon.operator.transitionTask(task.id, { to: 'parked', reason: 'operator re-queued it' });
    expect((await daemon.operator.showTask(task.id)).task).toMatchObject({
      assignedAgentId: agentId,
      attempt: 2,
    });
    await bridge.restore();
    // With a slot free the agent polls, sees attempt 2 and stops attempt 1 (still waiting at its gate).
    expect(await log.waitFor('handler-killed', (e) => e.taskId === task.id)).toEqual({
      type: 'handler-killed',
      taskId: task.id,
      attempt: 1,
      why: 'superseded',
    });
    expect(await gone(firstPid)).toBe(true);
    await log.waitFor('task-started', (e) => e.taskId === task.id && e.attempt === 2);
    ws.release('go');
    const shown = await settled(daemon, task.id);
    expect(shown.task).toMatchObject({ status: 'done', attempt: 2 });
    expect(shown.events.filter((e) => e.to === 'done').map((e) => e.attempt)).toEqual([2]);
    // Attempt 1 was claimed by its poll and killed: it reported nothing.
    expect(
      log
        .all('report-delivered')
        .filter((e) => e.attempt === 1)
        .map((e) => e.to),
    ).toEqual([]);
  });

  it('starts before the daemon is reachable, waits it out with backoff and registers once it is', async () => {
    bridge = await startBridge(daemon.socketPath);
    await bridge.drop();
    const { run, log } = startAgent(daemon, ws, { daemon: { url: bridge.url } });
    expect(await log.waitFor('connection-lost')).toMatchObject({
      during: 'register',
      code: 'COLIBRI_DAEMON_UNREACHABLE',
    });
    expect(run.agentId).toBeNull();
    await bridge.restore();
    const agentId = await run.ready;
    expect(log.all('registered')).toHaveLength(1);
    expect(log.all('connection-restored')).toEqual([{ type: 'connection-restored', during: 'register' }]);
    expect((await daemon.operator.listAgents()).agents.map((a) => a.id)).toEqual([agentId]);
  });

  it('stopped before it could register: done resolves, ready rejects, nothing is registered', async () => {
    bridge = await startBridge(daemon.socketPath);
    await bridge.drop();
    const { run, log } = startAgent(daemon, ws, { daemon: { url: bridge.url } });
    await log.waitFor('connection-lost', (e) => e.during === 'register');
    await run.stop('SIGTERM');
    await expect(run.done).resolves.toBeUndefined();
    await expect(run.ready).rejects.toMatchObject({
      message: expect.stringMatching(/stopped \(SIGTERM\) before it could register/),
    });
    expect(await log.waitFor('stopped')).toEqual({ type: 'stopped', reason: 'SIGTERM' });
    expect((await daemon.operator.listAgents()).agents).toEqual([]);
  });
});

describe('runAgent: drain on stop', () => {
  let daemon: Daemon;
  let ws: Workspace;
  beforeEach(async () => {
    daemon = await startDaemon();
    ws = createWorkspace();
    ws.handler('gate', GATE_HANDLER);
  });
  afterEach(async () => {
    await stopAllAgents();
    await daemon.dispose();
    ws.dispose();
  });

  it('takes nothing new, lets a running task finish, kills and hands back the one still running, then goes offline', async () => {
    // A third slot, so that the daemon gives the agent the late task while two handlers run.
    const { run, log } = startAgent(daemon, ws, { slots: 3, drainTimeoutMs: 600_000 });
    const agentId = await run.ready;
    const finishing = await intake(daemon, { handler: 'gate', release: ws.path('a'), value: 'a' });
    const stuck = await intake(daemon, {
      handler: 'gate',
      release: ws.path('never'),
      pidFile: ws.path('stuck.pid'),
    });
    await log.waitFor('task-started', (e) => e.taskId === finishing.id);
    await log.waitFor('task-started', (e) => e.taskId === stuck.id);
    const stuckPid = Number(
      await eventually('the stuck pid', () =>
        existsSync(ws.path('stuck.pid'))
          ? readFileSync(ws.path('stuck.pid'), 'utf8') || undefined
          : undefined,
      ),
    );

    const stopped = run.stop('SIGTERM');
    expect(await log.waitFor('draining')).toEqual({ type: 'draining', reason: 'SIGTERM', running: 2 });
    // A task arriving during the drain is not taken: it is handed back with the rest.
    const late = await intake(daemon, { handler: 'gate', value: 'late' });
    expect(late.assignedAgentId).toBe(agentId);
    ws.release('a');
    await log.waitFor('report-delivered', (e) => e.taskId === finishing.id && e.to === 'done');
    // The other never finishes: cut the drain short (the CLI's second signal does this).
    void run.stop('SIGTERM', { now: true });
    await stopped;
    await expect(run.done).resolves.toBeUndefined();

    expect(log.all('handler-killed')).toEqual([
      { type: 'handler-killed', taskId: stuck.id, attempt: 1, why: 'drain' },
    ]);
    expect(await gone(stuckPid)).toBe(true);
    const offline = await log.waitFor('offline');
    expect([...offline.requeued].sort()).toEqual([stuck.id, late.id].sort());
    expect(offline.failed).toEqual([]);
    expect(log.all('task-started').map((e) => e.taskId)).not.toContain(late.id);
    expect(log.events.at(-1)).toEqual({ type: 'stopped', reason: 'SIGTERM' });

    expect((await daemon.operator.showTask(finishing.id)).task).toMatchObject({
      status: 'done',
      result: { value: 'a' },
    });
    const handedBack = await daemon.operator.showTask(stuck.id);
    expect(handedBack.task).toMatchObject({ status: 'parked', assignedAgentId: null });
    expect(handedBack.events.at(-1)).toMatchObject({
      from: 'running',
      to: 'parked',
      reason: 'agent worker-1 stopped (SIGTERM): handed back',
    });
    expect((await daemon.operator.listAgents()).agents[0]).toMatchObject({ id: agentId, status: 'offline' });
  });

  it('a drain timeout that runs out kills the handler and hands its task back to the next agent', async () => {
    const first = startAgent(daemon, ws, { drainTimeoutMs: 300 });
    await first.run.ready;
    const task = await intake(daemon, { handler: 'gate', release: ws.path('later'), value: 'survivor' });
    await first.log.waitFor('task-started', (e) => e.taskId === task.id);
    await first.run.stop('SIGTERM');
    expect((await first.log.waitFor('offline')).requeued).toEqual([task.id]);

    const second = createWorkspace();
    try {
      second.handler('gate', GATE_HANDLER);
      ws.release('later');
      const next = startAgent(daemon, second, { name: 'worker-2' });
      const nextId = await next.run.ready;
      const shown = await settled(daemon, task.id);
      expect(shown.task).toMatchObject({
        status: 'done',
        assignedAgentId: nextId,
        attempt: 2,
        result: { value: 'survivor' },
      });
    } finally {
      second.dispose();
    }
  });
});
