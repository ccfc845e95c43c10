import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, eventually, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

/** Store commits per step of a lifecycle, read from colibrid's own counter (no timing involved). */
describe('commits per lifecycle step', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    // Long TTL, lease and sweep: no liveness pass or flush falls inside a step.
    daemon = await startDaemon({
      args: ['--heartbeat-ttl', '1h', '--lease', '1h', '--sweep-interval', '1h'],
    });
  });
  afterAll(() => daemon.dispose());

  const commits = async () =>
    parseExposition(await daemon.operator.metrics()).value('colibri_store_commits_total') ?? Number.NaN;
  async function delta<T>(step: () => Promise<T>): Promise<{ result: T; commits: number }> {
    const before = await commits();
    const result = await step();
    return { result, commits: (await commits()) - before };
  }

  it('intake and assignment are one commit; running and done one each', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'kiln', capabilities: ['linux'] });
    const worker = daemon.client(token);
    const intake = await delta(() =>
      daemon.operator.intakeTask({ title: 'one', requiredCapabilities: ['linux'] }),
    );
    expect(intake.result.task.status).toBe('assigned');
    expect(intake.result.assignedTo?.id).toBe(agent.id);
    expect(intake.commits).toBe(1);
    const { events } = await daemon.operator.showTask(intake.result.task.id);
    expect(events.map((e) => e.to)).toEqual(['parked', 'assigned']);

    const [task] = (await worker.poll(agent.id)).tasks;
    const running = await delta(() => worker.transitionTask(task!.id, { to: 'running', attempt: 1 }));
    expect(running.commits).toBe(1);
    const done = await delta(() => worker.transitionTask(task!.id, { to: 'done', attempt: 1, result: 'ok' }));
    expect(done.commits).toBe(1);
  });

  it('with the claiming poll (as run-agent polls): 2 commits, intake+assign (the waiting poll claims it), done', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'lathe', capabilities: ['lathe'] });
    const worker = daemon.client(token);
    await worker.poll(agent.id); // its heartbeat is remembered before counting
    const metric = async (name: string) =>
      parseExposition(await daemon.operator.metrics()).value(name) ?? Number.NaN;
    const waiting = await metric('colibri_long_polls_waiting');
    const before = await commits();
    const polling = worker.poll(agent.id, { waitSeconds: 30, claim: 1, holding: [] });
    await eventually(
      async () => ((await metric('colibri_long_polls_waiting')) > waiting ? true : undefined),
      'the claiming poll waiting',
    );
    const intake = await delta(() =>
      daemon.operator.intakeTask({ title: 'three', requiredCapabilities: ['lathe'] }),
    );
    expect(intake.commits).toBe(1);
    const { claimed, tasks } = await polling;
    expect(claimed).toEqual([{ taskId: intake.result.task.id, attempt: 1 }]);
    expect(tasks[0]).toMatchObject({ status: 'running', attempt: 1 });
    const done = await delta(() =>
      worker.transitionTask(intake.result.task.id, { to: 'done', attempt: 1, result: 'ok' }),
    );
    expect(done.commits).toBe(1);
    expect((await commits()) - before).toBe(2);
  });

  it('a claiming poll that finds the task assigned claims it in one commit of its own', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'drill', capabilities: ['drill'] });
    const worker = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'four', requiredCapabilities: ['drill'] });
    const poll = await delta(() => worker.poll(agent.id, { claim: 1 }));
    expect(poll.result.claimed).toEqual([{ taskId: task.id, attempt: 1 }]);
    expect(poll.commits).toBe(1);
  });

  it('a task no agent can run is taken in parked with one commit', async () => {
    const parked = await delta(() =>
      daemon.operator.intakeTask({ title: 'two', requiredCapabilities: ['gpu'] }),
    );
    expect(parked.result.task.status).toBe('parked');
    expect(parked.commits).toBe(1);
  });
});
