import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, startDaemon } from './daemon-harness.js';

// A cancel reaches the agent through its open long poll: the poll says what the agent holds and
// answers as soon as one of those attempts is no longer the agent's. The test timeout (well under
// the 60 s wait) is the failure guard; nothing asserts on elapsed time.
describe('cancel reaches the agent', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('a long poll holding the running task answers at once with it revoked; the late report is refused as stale', {
    timeout: 30_000,
  }, async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'runner',
      capabilities: ['linux'],
      slots: 4,
    });
    const client = daemon.client(token);
    const { task } = await daemon.operator.intakeTask({ title: 'long job', requiredCapabilities: ['linux'] });
    await client.transitionTask(task.id, { to: 'running', attempt: 1 });
    const holding = [{ taskId: task.id, attempt: 1 }];
    const polling = client.poll(agent.id, { waitSeconds: 60, holding });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await daemon.operator.transitionTask(task.id, { to: 'cancelled', reason: 'no longer needed' });
    const answer = await polling;
    expect(answer.tasks).toEqual([]);
    expect(answer.revoked).toEqual([
      { taskId: task.id, attempt: 1, status: 'cancelled', reason: 'no longer needed' },
    ]);
    // The handler finished anyway: its report is refused by the attempt it presents, nothing changes.
    expect(await codeOf(client.transitionTask(task.id, { to: 'done', attempt: 1, result: 1 }))).toBe(
      'COLIBRI_STALE_ATTEMPT',
    );
    const shown = await daemon.operator.showTask(task.id);
    expect(shown.task).toMatchObject({ status: 'cancelled', result: null });
    // The heartbeat answers the same question (the backstop when the poll is down).
    const beat = await client.heartbeat(agent.id, { holding });
    expect(beat.revoked).toEqual([
      { taskId: task.id, attempt: 1, status: 'cancelled', reason: 'no longer needed' },
    ]);
  });

  it('a long poll holding exactly what the agent has waits; a new assignment still answers it', {
    timeout: 30_000,
  }, async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'runner',
      capabilities: ['linux'],
      slots: 4,
    });
    const client = daemon.client(token);
    const first = (await daemon.operator.intakeTask({ title: 'one', requiredCapabilities: ['linux'] })).task;
    await client.transitionTask(first.id, { to: 'running', attempt: 1 });
    // Holding it: nothing differs, so a short wait runs out with the same task and nothing revoked.
    const quiet = await client.poll(agent.id, {
      waitSeconds: 1,
      holding: [{ taskId: first.id, attempt: 1 }],
    });
    expect(quiet.tasks.map((t) => t.id)).toEqual([first.id]);
    expect(quiet.revoked).toEqual([]);
    const polling = client.poll(agent.id, { waitSeconds: 60, holding: [{ taskId: first.id, attempt: 1 }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = (await daemon.operator.intakeTask({ title: 'two', requiredCapabilities: ['linux'] })).task;
    const answer = await polling;
    expect(answer.tasks.map((t) => t.id).sort()).toEqual([first.id, second.id].sort());
    expect(answer.revoked).toEqual([]);
  });

  it('refuses a malformed holding list and changes nothing', { timeout: 30_000 }, async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'runner',
      capabilities: ['linux'],
      slots: 4,
    });
    const client = daemon.client(token);
    const bad = [{ taskId: '', attempt: 0 }];
    expect(await codeOf(client.poll(agent.id, { holding: bad }))).toBe('COLIBRI_INVALID_INPUT');
    expect(await codeOf(client.heartbeat(agent.id, { holding: bad }))).toBe('COLIBRI_INVALID_INPUT');
  });
});
