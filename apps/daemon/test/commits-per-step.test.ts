import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';
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

  it('a task no agent can run is taken in parked with one commit', async () => {
    const parked = await delta(() =>
      daemon.operator.intakeTask({ title: 'two', requiredCapabilities: ['gpu'] }),
    );
    expect(parked.result.task.status).toBe('parked');
    expect(parked.commits).toBe(1);
  });
});
