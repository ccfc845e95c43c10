import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, eventually, raw, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

/** A poll that claims what it returns (`claim: N`, issue 14 item 5), against a real colibrid. */
describe('claiming poll', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    // Long TTL, lease and sweep: no liveness pass or flush falls inside a counted step.
    daemon = await startDaemon({
      args: ['--heartbeat-ttl', '1h', '--lease', '1h', '--sweep-interval', '1h'],
    });
  });
  afterAll(() => daemon.dispose());

  const metric = async (name: string) =>
    parseExposition(await daemon.operator.metrics()).value(name) ?? Number.NaN;
  const commits = () => metric('colibri_store_commits_total');
  /** Until colibrid says `n` long polls wait (a poll that has registered, not a sleep). */
  const pollsWaiting = (n: number) =>
    eventually(
      async () => ((await metric('colibri_long_polls_waiting')) === n ? true : undefined),
      `${n} polls waiting`,
    );

  it('claims up to N assigned tasks: running at the same attempt, one running event each; without claim nothing moves', async () => {
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'kiln',
      capabilities: ['kiln'],
      slots: 3,
    });
    const worker = daemon.client(token);
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const { task } = await daemon.operator.intakeTask({ title, requiredCapabilities: ['kiln'] });
      expect(task.status).toBe('assigned');
      ids.push(task.id);
    }
    // Without the opt-in: exactly as before, all three assigned, no `claimed` in the answer.
    const plain = await worker.poll(agent.id);
    expect(plain.tasks.map((t) => t.status)).toEqual(['assigned', 'assigned', 'assigned']);
    expect('claimed' in plain).toBe(false);
    expect((await daemon.operator.showTask(ids[0]!)).task.status).toBe('assigned');

    const before = await commits();
    const first = await worker.poll(agent.id, { claim: 2 });
    expect(await commits()).toBe(before + 1);
    expect(first.claimed).toEqual([
      { taskId: ids[0], attempt: 1 },
      { taskId: ids[1], attempt: 1 },
    ]);
    expect(first.tasks.map((t) => [t.id, t.status, t.attempt])).toEqual([
      [ids[0], 'running', 1],
      [ids[1], 'running', 1],
      [ids[2], 'assigned', 1],
    ]);
    const shown = await daemon.operator.showTask(ids[0]!);
    expect(shown.task.status).toBe('running');
    expect(shown.events.map((e) => [e.from, e.to, e.agentId, e.attempt])).toEqual([
      [null, 'parked', null, 0],
      ['parked', 'assigned', agent.id, 1],
      ['assigned', 'running', agent.id, 1],
    ]);
    // What was claimed is running: a `running` report now is an illegal move, `done` is the next step.
    expect(await codeOf(worker.transitionTask(ids[0]!, { to: 'running', attempt: 1 }))).toBe(
      'COLIBRI_ILLEGAL_TRANSITION',
    );
    // Holding the two it runs, the agent claims the third.
    const second = await worker.poll(agent.id, {
      claim: 1,
      holding: [
        { taskId: ids[0]!, attempt: 1 },
        { taskId: ids[1]!, attempt: 1 },
      ],
    });
    expect(second.claimed).toEqual([{ taskId: ids[2], attempt: 1 }]);
    expect(second.tasks.every((t) => t.status === 'running')).toBe(true);
    for (const id of ids) await worker.transitionTask(id, { to: 'done', attempt: 1, result: 'ok' });
  });

  it('claims the current attempt of a re-queued task, never a stale one', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'oven', capabilities: ['oven'] });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'bake', requiredCapabilities: ['oven'] });
    await daemon.operator.transitionTask(task.id, { to: 'parked', reason: 'operator re-queued it' });
    expect((await daemon.operator.showTask(task.id)).task).toMatchObject({ status: 'assigned', attempt: 2 });
    const answer = await worker.poll(agent.id, { claim: 1 });
    expect(answer.claimed).toEqual([{ taskId: task.id, attempt: 2 }]);
    expect(answer.tasks).toMatchObject([{ id: task.id, status: 'running', attempt: 2 }]);
    expect(await codeOf(worker.transitionTask(task.id, { to: 'done', attempt: 1 }))).toBe(
      'COLIBRI_STALE_ATTEMPT',
    );
    expect((await worker.transitionTask(task.id, { to: 'done', attempt: 2 })).task.status).toBe('done');
  });

  it('a lifecycle through a waiting claiming poll costs 2 commits: intake+assign(+claim), done', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'forge', capabilities: ['forge'] });
    const worker = daemon.client(token);
    // A first poll so that its heartbeat is written before counting.
    await worker.poll(agent.id);
    const waiting = await metric('colibri_long_polls_waiting');
    const before = await commits();
    const polling = worker.poll(agent.id, { waitSeconds: 30, claim: 1, holding: [] });
    await pollsWaiting(waiting + 1);
    const { task, assignedTo } = await daemon.operator.intakeTask({
      title: 'forge',
      requiredCapabilities: ['forge'],
    });
    expect(assignedTo?.id).toBe(agent.id);
    expect(task.status).toBe('running');
    const answer = await polling;
    expect(answer.claimed).toEqual([{ taskId: task.id, attempt: 1 }]);
    expect(answer.tasks).toMatchObject([{ id: task.id, status: 'running', attempt: 1 }]);
    const events = (await daemon.operator.showTask(task.id)).events;
    expect(events.map((e) => `${e.from ?? '-'}→${e.to}#${e.attempt}`)).toEqual([
      '-→parked#0',
      'parked→assigned#1',
      'assigned→running#1',
    ]);
    // The agent's next poll holds it: acknowledged, so it is not announced again.
    const next = await worker.poll(agent.id, { claim: 1, holding: [{ taskId: task.id, attempt: 1 }] });
    expect(next.claimed).toEqual([]);
    await worker.transitionTask(task.id, { to: 'done', attempt: 1, result: 'ok' });
    expect((await commits()) - before).toBe(2);
  });

  it('a claim whose answer the agent never acknowledged is announced again by its next poll', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'anvil', capabilities: ['anvil'] });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'strike', requiredCapabilities: ['anvil'] });
    const first = await worker.poll(agent.id, { claim: 1, holding: [] });
    expect(first.claimed).toEqual([{ taskId: task.id, attempt: 1 }]);
    // As if that answer were lost: the agent polls again holding nothing.
    const again = await worker.poll(agent.id, { claim: 1, holding: [] });
    expect(again.claimed).toEqual([{ taskId: task.id, attempt: 1 }]);
    expect(again.tasks).toMatchObject([{ id: task.id, status: 'running', attempt: 1 }]);
    const acknowledged = await worker.poll(agent.id, {
      claim: 1,
      holding: [{ taskId: task.id, attempt: 1 }],
    });
    expect(acknowledged.claimed).toEqual([]);
    await worker.transitionTask(task.id, { to: 'done', attempt: 1 });
  });

  it('bad claims are refused and change nothing; a heartbeat takes no claim', async () => {
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'kettle',
      capabilities: ['kettle'],
    });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'boil', requiredCapabilities: ['kettle'] });
    for (const bad of [0, -1, 1.5, 10_001, '1' as unknown as number]) {
      expect(await codeOf(worker.poll(agent.id, { claim: bad }))).toBe('COLIBRI_INVALID_INPUT');
    }
    const beat = await raw(daemon.socketPath, {
      method: 'POST',
      path: `/v1/agents/${agent.id}/heartbeat`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ claim: 1 }),
    });
    expect(beat.status).toBe(400);
    expect(beat.text).toContain('COLIBRI_INVALID_INPUT');
    expect((await daemon.operator.showTask(task.id)).task.status).toBe('assigned');
    // Another agent cannot claim it.
    const other = await daemon.operator.registerAgent({ name: 'pan', capabilities: ['kettle'] });
    expect(await codeOf(daemon.client(other.token).poll(agent.id, { claim: 1 }))).toBe('COLIBRI_FORBIDDEN');
    expect((await daemon.operator.showTask(task.id)).task.status).toBe('assigned');
  });
});
