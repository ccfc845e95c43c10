import { rmSync } from 'node:fs';
import type { ApiTask } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { logPathFor, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

/** The order of a lifecycle's states: an acknowledged state must be reached or passed after the restart. */
const RANK: Record<string, number> = { parked: 0, assigned: 1, running: 2, done: 3 };
const INTAKE_LANES = 12;
const AGENTS = 6;

/**
 * Group commit under kill -9 (issue 14): many intakes and agent reports in flight at once, so
 * SQLite's group commits are full (asserted from colibrid's own counters before the kill), then
 * SIGKILL mid-stream. After a restart every acknowledged intake and report is there, and every
 * task is whole: its status, its event log and its attempt agree, so no change that was not
 * acknowledged is there in part. An answer sent before its group's COMMIT would fail this.
 */
describe('group commit, kill -9 during full groups', () => {
  it('keeps every acknowledged change and half-applies none', async () => {
    // Long TTL, lease and sweep: only the requests below change anything.
    const first = await startDaemon({
      keepHome: true,
      args: ['--heartbeat-ttl', '1h', '--lease', '1h', '--sweep-interval', '1h'],
    });
    const home = first.home;
    const intakes = new Map<string, string>(); // title -> id, answered
    const reached = new Map<string, number>(); // task id -> highest state an answer confirmed
    let attempted = 0;
    let acknowledged = 0;
    let killed = false;
    let failure: unknown;
    let armed = false;
    let killedNow: () => void = () => {};
    const killedPromise = new Promise<void>((resolve) => {
      killedNow = resolve;
    });
    const kill = () => {
      killed = true;
      first.child.kill('SIGKILL');
      killedNow();
    };
    // The kill follows an answer at once (never a read, which would wait for the group's COMMIT),
    // so it lands while the next groups run: an answer sent before its COMMIT would be lost.
    const confirm = (task: ApiTask) => {
      reached.set(task.id, Math.max(reached.get(task.id) ?? 0, RANK[task.status] ?? 0));
      acknowledged++;
      if (armed && !killed) kill();
    };
    // Only the daemon going away may interrupt a request.
    const untilKilled = (error: unknown) => {
      expect((error as { code?: string }).code).toBe('COLIBRI_DAEMON_UNREACHABLE');
      expect(killed).toBe(true);
    };

    const agents = await Promise.all(
      Array.from({ length: AGENTS }, (_, i) =>
        first.operator.registerAgent({ name: `crash-${i}`, capabilities: ['linux'] }),
      ),
    );
    const agentLoop = async ({ agent, token }: (typeof agents)[number]) => {
      const client = first.client(token);
      try {
        for (;;) {
          const { tasks } = await client.poll(agent.id, { waitSeconds: 5 });
          for (const task of tasks.filter((t) => t.status === 'assigned')) {
            confirm((await client.transitionTask(task.id, { to: 'running', attempt: task.attempt })).task);
            confirm(
              (await client.transitionTask(task.id, { to: 'done', attempt: task.attempt, result: 'ok' }))
                .task,
            );
          }
        }
      } catch (error) {
        untilKilled(error);
      }
    };
    const intakeLoop = async (lane: number) => {
      try {
        for (let i = 0; ; i++) {
          const title = `g ${lane}-${i}`;
          attempted++;
          // Every third task needs a tag nobody has: parked intakes share the groups too.
          const { task } = await first.operator.intakeTask({
            title,
            requiredCapabilities: i % 3 === 2 ? ['gpu'] : ['linux'],
            payload: { lane, i },
          });
          intakes.set(title, task.id);
          confirm(task);
        }
      } catch (error) {
        untilKilled(error);
      }
    };
    const arm = async () => {
      for (;;) {
        if (failure !== undefined) throw failure;
        const m = parseExposition(await first.operator.metrics());
        const commits = m.value('colibri_store_commits_total') ?? 0;
        const writes = m.value('colibri_store_writes_total') ?? 0;
        // Groups are full: many more writes than commits, and enough answers to check.
        if (acknowledged >= 400 && writes - commits >= 100) {
          armed = true;
          await Promise.race([
            killedPromise,
            new Promise((_, reject) =>
              setTimeout(() => reject(failure ?? new Error('no answer after arming')), 30_000),
            ),
          ]);
          return { commits, writes };
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const loops = [
      ...agents.map(agentLoop),
      ...Array.from({ length: INTAKE_LANES }, (_, lane) => intakeLoop(lane)),
    ].map((loop) =>
      loop.catch((error: unknown) => {
        failure ??= error;
      }),
    );
    let grouped: { commits: number; writes: number };
    try {
      grouped = await arm();
    } finally {
      if (!killed) first.child.kill('SIGKILL');
      await Promise.all(loops);
    }
    if (failure !== undefined) throw failure;
    expect((await first.stop()).signal).toBe('SIGKILL');
    expect(grouped.writes).toBeGreaterThan(grouped.commits);

    const second = await startDaemon({ home, args: ['--heartbeat-ttl', '1h', '--lease', '1h'] });
    try {
      const { tasks } = await second.operator.listTasks({ limit: 10_000 });
      const byId = new Map(tasks.map((task) => [task.id, task]));
      // Every acknowledged intake is there, once, with the id it was answered with.
      const titles = new Map<string, number>();
      for (const task of tasks) titles.set(task.title, (titles.get(task.title) ?? 0) + 1);
      for (const [title, id] of intakes) {
        expect(titles.get(title), title).toBe(1);
        expect(byId.get(id)?.title, title).toBe(title);
      }
      expect([...titles.values()].every((count) => count === 1)).toBe(true);
      expect(tasks.length).toBeLessThanOrEqual(attempted);
      // Every acknowledged report is there (or a later state of the same attempt).
      for (const [id, rank] of reached) {
        const task = byId.get(id);
        expect(task, id).toBeDefined();
        expect(RANK[task!.status], `${id} ${task!.status}`).toBeGreaterThanOrEqual(rank);
      }
      // Every task is whole: the event log is the lifecycle's path up to its status, one attempt.
      const agentIds = new Set(agents.map(({ agent }) => agent.id));
      const paths = ['parked', 'parked assigned', 'parked assigned running', 'parked assigned running done'];
      for (const task of tasks) {
        const { events } = await second.operator.showTask(task.id);
        const path = events.map((event) => event.to).join(' ');
        expect(paths, `${task.id}: ${path} / ${task.status}`).toContain(path);
        expect(events.at(-1)?.to, task.id).toBe(task.status);
        if (task.status === 'parked') {
          expect(task.attempt).toBe(0);
          expect(task.assignedAgentId).toBeNull();
        } else {
          expect(task.attempt, task.id).toBe(1);
          expect(agentIds.has(task.assignedAgentId ?? ''), task.id).toBe(true);
          expect(task.requiredCapabilities).toEqual(['linux']);
        }
        if (task.status === 'done') expect(task.result).toBe('ok');
      }
    } finally {
      await second.dispose();
      rmSync(home, { recursive: true, force: true });
      rmSync(logPathFor(home), { force: true });
    }
  });
});
