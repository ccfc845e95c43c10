import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logPathFor, startDaemon } from './daemon-harness.js';

describe('kill -9 under load', () => {
  it('loses no acknowledged task and duplicates none', async () => {
    const first = await startDaemon({ keepHome: true });
    const home = first.home;
    const acknowledged = new Map<string, string>(); // title -> id
    let attempted = 0;
    const writer = async (lane: number) => {
      for (let i = 0; ; i++) {
        const title = `crash ${lane}-${i}`;
        attempted++;
        try {
          const { task } = await first.operator.intakeTask({
            title,
            requiredCapabilities: ['linux'],
            payload: { lane, i },
          });
          acknowledged.set(title, task.id);
        } catch (error) {
          // Only the daemon going away may interrupt the writers.
          expect((error as { code?: string }).code).toBe('COLIBRI_DAEMON_UNREACHABLE');
          return;
        }
        if (acknowledged.size >= 150 && first.child.exitCode === null && first.child.signalCode === null) {
          first.child.kill('SIGKILL');
        }
      }
    };
    // An agent exists, so most tasks are assigned right after intake: kill -9 lands mid-dispatch too.
    await first.operator.registerAgent({ name: 'worker', capabilities: ['linux'] });
    await Promise.all([writer(0), writer(1), writer(2), writer(3)]);
    expect((await first.stop()).signal).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(150);

    const second = await startDaemon({ home });
    try {
      expect(second.logs()).toContain('removed a stale socket');
      const { tasks } = await second.operator.listTasks({ limit: 10_000 });
      const byTitle = new Map<string, number>();
      for (const task of tasks) byTitle.set(task.title, (byTitle.get(task.title) ?? 0) + 1);
      for (const [title, id] of acknowledged) {
        expect(byTitle.get(title), title).toBe(1);
        expect(tasks.find((t) => t.title === title)?.id).toBe(id);
      }
      // Nothing beyond what was attempted, and nothing twice.
      expect(tasks.length).toBeLessThanOrEqual(attempted);
      expect([...byTitle.values()].every((n) => n === 1)).toBe(true);
      // Every task is in a consistent state: parked, or assigned to the worker.
      for (const task of tasks) expect(['parked', 'assigned']).toContain(task.status);
    } finally {
      await second.dispose();
      rmSync(logPathFor(home), { force: true });
    }
  });
});
