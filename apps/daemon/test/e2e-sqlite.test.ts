import { afterEach, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';
import { runLifecycle } from './lifecycle.js';

describe('colibrid end to end on SQLite', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('routes, parks and unparks the seed hive over the Unix socket', async () => {
    daemon = await startDaemon();
    await runLifecycle(daemon);
  });
});

describe('tag changes', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('an agent that gains a tag is given the parked tasks that need it, highest priority first', async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'debby',
      capabilities: ['linux'],
      slots: 4,
    });
    const low = await daemon.operator.intakeTask({
      title: 'low',
      requiredCapabilities: ['gpu'],
      priority: 1,
    });
    const high = await daemon.operator.intakeTask({
      title: 'high',
      requiredCapabilities: ['gpu'],
      priority: 9,
    });
    expect([low.task.status, high.task.status]).toEqual(['parked', 'parked']);
    const changed = await daemon.client(token).updateCapabilities(agent.id, ['linux', 'gpu']);
    expect(changed.agent).toMatchObject({ capabilities: ['linux', 'gpu'], status: 'active', activeTasks: 2 });
    const assignedAt = async (id: string) => {
      const { events } = await daemon!.operator.showTask(id);
      return events.find((e) => e.to === 'assigned')!.id;
    };
    expect(await assignedAt(high.task.id)).toBeLessThan(await assignedAt(low.task.id));
    const { tasks } = await daemon.client(token).poll(agent.id);
    expect(tasks.map((t) => t.title)).toEqual(['high', 'low']);
  });
});
