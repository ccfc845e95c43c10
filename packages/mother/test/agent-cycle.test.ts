// The mother's whole cycle against a real colibrid: register → heartbeat → poll → run → report,
// with real handler processes. Every wait is on an event or on the daemon's state, never a sleep.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileTokenStore } from '../src/index.js';
import { intake, settled, startAgent, stopAllAgents } from './agent-helpers.js';
import {
  alive,
  createWorkspace,
  type Daemon,
  eventually,
  GATE_HANDLER,
  gone,
  startDaemon,
  type Workspace,
} from './hive-harness.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('runAgent: the work cycle', () => {
  let daemon: Daemon;
  let ws: Workspace;
  beforeEach(async () => {
    daemon = await startDaemon();
    ws = createWorkspace();
  });
  afterEach(async () => {
    await stopAllAgents();
    await daemon.dispose();
    ws.dispose();
  });

  it('registers, polls, runs the handler with the payload on stdin and reports running then done', async () => {
    ws.handler(
      'inspect',
      [
        'payload=$(cat)',
        'names=$(env | cut -d= -f1 | grep -v -x -e PWD -e SHLVL -e _ -e OLDPWD | sort | tr "\\n" " ")',
        'token=$(printf %s "$COLIBRI_TOKEN" | sha256sum | cut -d" " -f1)',
        'printf \'{"payload":%s,"task":"%s","attempt":%s,"secret":"%s","socket":"%s","agent":"%s","token":"%s","names":"%s"}\' \\',
        '  "$payload" "$COLIBRI_TASK_ID" "$COLIBRI_ATTEMPT" "$TENANT_SECRET" "$COLIBRI_SOCKET" "$COLIBRI_AGENT_ID" "$token" "$names"',
      ].join('\n'),
    );
    const { run, log } = startAgent(daemon, ws, {
      environment: {
        inherited: { ...process.env, LANG: 'C.UTF-8', PARENT_ONLY_SECRET: 'must-not-leak' },
        variables: { TENANT_SECRET: 's3cret', COLIBRI_JOIN_TOKEN: 'spent-join-token' },
      },
    });
    const agentId = await run.ready;
    expect(run.agentId).toBe(agentId);
    expect(await log.waitFor('registered')).toMatchObject({ agentId, name: 'worker-1', via: 'operator' });

    const task = await intake(daemon, { handler: 'inspect', value: 7 });
    expect(task.assignedAgentId).toBe(agentId);
    const { task: finished, events } = await settled(daemon, task.id);

    const stored = JSON.parse(readFileSync(join(ws.stateDir, 'agent.json'), 'utf8')) as {
      agentId: string;
      token: string;
    };
    expect(stored.agentId).toBe(agentId);
    expect(finished.status).toBe('done');
    expect(finished.result).toEqual({
      payload: { handler: 'inspect', value: 7 },
      task: task.id,
      attempt: 1,
      secret: 's3cret',
      socket: daemon.socketPath,
      agent: agentId,
      token: sha256(stored.token),
      names:
        'COLIBRI_AGENT_ID COLIBRI_ATTEMPT COLIBRI_SOCKET COLIBRI_TASK_ID COLIBRI_TOKEN HOME LANG PATH TENANT_SECRET ',
    });
    expect(events.map((e) => `${e.from ?? '-'}→${e.to}#${e.attempt}`)).toEqual([
      '-→parked#0',
      'parked→assigned#1',
      'assigned→running#1',
      'running→done#1',
    ]);
    // Its poll claimed the task (assigned → running in the poll's transaction): only done is reported.
    expect(log.all('report-delivered').map((e) => e.to)).toEqual(['done']);
    // The agent token is kept 0600 in a 0700 directory; the events never carry it.
    expect(statSync(ws.stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(ws.stateDir, 'agent.json')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(log.events)).not.toContain(stored.token);
    expect(JSON.stringify(log.events)).not.toContain('s3cret');
  });

  it('heartbeats on its own timer while a handler runs and no poll is out', async () => {
    ws.handler('gate', GATE_HANDLER);
    const { run, log } = startAgent(daemon, ws, { slots: 1 });
    const agentId = await run.ready;
    const task = await intake(daemon, { handler: 'gate', release: ws.path('go') });
    await log.waitFor('task-started', (e) => e.taskId === task.id);
    const lastBeat = async () =>
      (await daemon.operator.listAgents()).agents.find((a) => a.id === agentId)?.lastHeartbeatAt ?? '';
    const first = await lastBeat();
    // With its one slot taken the agent does not poll: only the heartbeat timer can move this.
    await eventually('two more heartbeats', async () => {
      const now = await lastBeat();
      return now > first ? now : undefined;
    });
    const second = await lastBeat();
    await eventually('another heartbeat', async () => ((await lastBeat()) > second ? true : undefined));
    expect(log.all('task-started')).toHaveLength(1);
    ws.release('go');
    expect((await settled(daemon, task.id)).task.status).toBe('done');
  });

  it('a failing handler fails the task with its exit code and the tail of its stderr; the agent goes on', async () => {
    ws.handler('broken', 'echo "warming up" >&2\necho "ImportError: no module named PIL" >&2\nexit 4');
    ws.handler('ok', 'echo \'{"ok":true}\'');
    const { run } = startAgent(daemon, ws, { stderrTailBytes: 40 });
    await run.ready;
    const broken = await settled(daemon, (await intake(daemon, { handler: 'broken' })).id);
    expect(broken.task).toMatchObject({
      status: 'failed',
      error: '[COLIBRI_HANDLER_FAILED] handler exited with code 4',
      result: { code: 'COLIBRI_HANDLER_FAILED', exitCode: 4, signal: null },
    });
    const stderr = (broken.task.result as { stderr: string }).stderr;
    expect(stderr.endsWith('ImportError: no module named PIL\n')).toBe(true);
    expect(Buffer.byteLength(stderr)).toBeLessThanOrEqual(40);
    expect((await settled(daemon, (await intake(daemon, { handler: 'ok' })).id)).task.result).toEqual({
      ok: true,
    });
  });

  it('an unknown handler or a payload without one fails the task, not the agent', async () => {
    ws.handler('ok', 'echo 1');
    const { run, log } = startAgent(daemon, ws);
    await run.ready;
    const unknown = await settled(daemon, (await intake(daemon, { handler: 'no-such-handler' })).id);
    expect(unknown.task.status).toBe('failed');
    expect(unknown.task.error).toMatch(
      /^\[COLIBRI_HANDLER_NOT_FOUND\] handler "no-such-handler" not found: there is no .*no-such-handler; put an executable file named no-such-handler in /,
    );
    // Claimed by the poll (running), then checked before any handler started: failed.
    expect(unknown.events.map((e) => e.to)).toEqual(['parked', 'assigned', 'running', 'failed']);
    const shapeless = await settled(daemon, (await intake(daemon, { url: 'https://example.org' })).id);
    expect(shapeless.task.error).toMatch(
      /^\[COLIBRI_INVALID_INPUT\] task payload must be a JSON object naming its handler/,
    );
    const escaping = await settled(daemon, (await intake(daemon, { handler: '../../bin/sh' })).id);
    expect(escaping.task.error).toMatch(
      /^\[COLIBRI_INVALID_INPUT\] task payload: handler must be 1-64 characters/,
    );
    expect(log.all('task-rejected').map((e) => e.code)).toEqual([
      'COLIBRI_HANDLER_NOT_FOUND',
      'COLIBRI_INVALID_INPUT',
      'COLIBRI_INVALID_INPUT',
    ]);
    expect((await settled(daemon, (await intake(daemon, { handler: 'ok' })).id)).task.result).toBe(1);
  });

  it('a handler past its time limit is stopped with its whole process group, grandchild included', async () => {
    const pidFile = ws.path('grandchild.pid');
    ws.handler('hangs', `sleep 1000 &\necho $! > ${pidFile}\nwait`);
    const { run, log } = startAgent(daemon, ws, { handlerTimeoutMs: 60_000 });
    await run.ready;
    const task = await intake(daemon, { handler: 'hangs', timeoutSeconds: 1 });
    expect(await log.waitFor('task-started', (e) => e.taskId === task.id)).toMatchObject({ timeoutMs: 1000 });
    const grandchild = Number(
      await eventually('the grandchild pid', () => {
        try {
          const text = readFileSync(pidFile, 'utf8').trim();
          return text === '' ? undefined : text;
        } catch {
          return undefined;
        }
      }),
    );
    expect(alive(grandchild)).toBe(true);
    const { task: failed } = await settled(daemon, task.id);
    expect(failed).toMatchObject({
      status: 'failed',
      error: '[COLIBRI_HANDLER_TIMEOUT] handler did not finish within 1 s: its process group was stopped',
      result: { code: 'COLIBRI_HANDLER_TIMEOUT', exitCode: null },
    });
    expect(await gone(grandchild)).toBe(true);
  });

  it('a handler writing more than the output cap is stopped and the task fails with the reason', async () => {
    ws.handler('flood', 'yes "colibri colibri colibri"');
    const { run } = startAgent(daemon, ws, { maxOutputBytes: 4096 });
    await run.ready;
    const { task } = await settled(daemon, (await intake(daemon, { handler: 'flood' })).id);
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(
      /^\[COLIBRI_HANDLER_FAILED\] handler wrote more than 4096 bytes to stdout \(the agent's output limit\): it was stopped/,
    );
  });

  it('with slots 1, two slow tasks run one after the other', async () => {
    ws.handler('gate', GATE_HANDLER);
    const runLog = ws.path('runs.log');
    const { run, log } = startAgent(daemon, ws, { slots: 1 });
    const agentId = await run.ready;
    const first = await intake(daemon, { handler: 'gate', release: ws.path('first'), log: runLog });
    const second = await intake(daemon, { handler: 'gate', release: ws.path('second'), log: runLog });
    // The daemon knows its one slot: the first is the agent's, the second waits parked.
    expect(first.assignedAgentId).toBe(agentId);
    expect(second.status).toBe('parked');
    expect((await daemon.operator.listAgents()).agents[0]).toMatchObject({ slots: 1 });
    const one = await log.waitFor('task-started');
    // Let the agent live through several heartbeats holding a waiting task: it must not start it.
    // It may still read null here (since heartbeats are kept in memory, 3c4f7a8, colibrid reports
    // none before the agent's first timed heartbeat): "later than before" includes "any, after none".
    const before = (await daemon.operator.listAgents()).agents[0]!.lastHeartbeatAt;
    await eventually('heartbeats while the first task runs', async () => {
      const now = (await daemon.operator.listAgents()).agents[0]!.lastHeartbeatAt;
      return now !== null && (before === null || now > before) ? true : undefined;
    });
    expect(log.all('task-started')).toHaveLength(1);
    const [firstGate, secondGate] = one.taskId === first.id ? ['first', 'second'] : ['second', 'first'];
    const other = one.taskId === first.id ? second : first;
    ws.release(firstGate);
    await log.waitFor('task-started', (e) => e.taskId === other.id);
    ws.release(secondGate);
    await settled(daemon, first.id);
    await settled(daemon, second.id);
    expect(readFileSync(runLog, 'utf8').trim().split('\n')).toEqual([
      `start ${one.taskId} 1`,
      `end ${one.taskId} 1`,
      `start ${other.id} 1`,
      `end ${other.id} 1`,
    ]);
    // And in the agent's own order: the second started only after the first was reported done.
    const doneFirst = log.indexOf(
      (e) => e.type === 'report-delivered' && e.taskId === one.taskId && e.to === 'done',
    );
    const startSecond = log.indexOf((e) => e.type === 'task-started' && e.taskId === other.id);
    expect(doneFirst).toBeGreaterThanOrEqual(0);
    expect(startSecond).toBeGreaterThan(
      log.indexOf((e) => e.type === 'task-finished' && e.taskId === one.taskId),
    );
  });

  it('a join token registers once into its tenant; later starts resume with the stored agent token', async () => {
    ws.handler('ok', 'echo \'"fine"\'');
    const { token: joinToken } = await daemon.operator.createJoinToken({ tenant: 'acme' });
    const first = startAgent(daemon, ws, {
      name: 'acme-agent',
      tenant: 'acme',
      credential: { kind: 'join', token: joinToken },
    });
    const agentId = await first.run.ready;
    expect(await first.log.waitFor('registered')).toMatchObject({ via: 'join', tenant: 'acme' });
    await first.run.stop('restart');
    expect(await first.log.waitFor('offline')).toMatchObject({ agentId });
    expect((await daemon.operator.listAgents()).agents[0]).toMatchObject({ id: agentId, status: 'offline' });

    // The join token is spent; the stored agent token brings the same agent back, new tags and all.
    const second = startAgent(daemon, ws, {
      name: 'acme-agent',
      tenant: 'acme',
      capabilities: ['linux', 'gpu'],
      credential: { kind: 'join', token: joinToken },
    });
    expect(await second.run.ready).toBe(agentId);
    expect(await second.log.waitFor('registered')).toMatchObject({ via: 'stored', agentId });
    expect(await second.log.waitFor('capabilities-updated')).toMatchObject({
      capabilities: ['linux', 'gpu'],
    });
    const task = await intake(daemon, { handler: 'ok' }, ['gpu'], { tenant: 'acme' });
    expect((await settled(daemon, task.id)).task).toMatchObject({
      status: 'done',
      assignedAgentId: agentId,
      result: 'fine',
    });
  });

  it('a stored token the daemon does not know falls back to the credential; a stranger state file is refused', async () => {
    await fileTokenStore(ws.stateDir).save({
      agentId: '00000000-0000-4000-8000-000000000000',
      token: 'forgotten',
    });
    const { run, log } = startAgent(daemon, ws);
    const agentId = await run.ready;
    expect(log.all('stored-token-rejected')).toEqual([
      {
        type: 'stored-token-rejected',
        agentId: '00000000-0000-4000-8000-000000000000',
        code: 'COLIBRI_UNAUTHENTICATED',
      },
    ]);
    expect(await log.waitFor('registered')).toMatchObject({ via: 'operator', agentId });
    await run.stop('next');

    // The same state dir under another agent name: refused with the fix, nothing registered.
    const stranger = startAgent(daemon, ws, { name: 'someone-else' });
    await expect(stranger.run.done).rejects.toMatchObject({
      code: 'COLIBRI_IDENTITY_INVALID',
      message: expect.stringMatching(
        /is worker-1 \(tenant none\), but this agent is someone-else .*remove .*agent\.json to register anew/,
      ),
    });
    await expect(stranger.run.ready).rejects.toMatchObject({ code: 'COLIBRI_IDENTITY_INVALID' });
    expect((await daemon.operator.listAgents()).agents.map((a) => a.name)).toEqual(['worker-1']);
  });

  it('no stored token and no credential: refused at start with what to provide', async () => {
    const { run } = startAgent(daemon, ws, { credential: undefined as never });
    await expect(run.done).rejects.toMatchObject({
      code: 'COLIBRI_UNAUTHENTICATED',
      message: expect.stringMatching(/no usable agent token in .*agent\.json and no join or operator token/),
    });
  });
});
