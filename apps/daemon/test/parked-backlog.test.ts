import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IntakeTaskResponse } from '@colibri/api';
import { type IntakeTaskInput, openStore, type Store, type StoreConfig } from '@colibri/store';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';

// A parked backlog far past what one read of the store returns (the old 10,000-task scan): the
// dispatcher finds what an agent can run in its index of parked tasks, whatever the backlog, and
// unparks in batches that let other requests through. Seeded straight into the store (one
// transaction per 10,000 tasks) before colibrid starts, so the daemon builds its index by its
// start-up sweep, page by page.

const backlogUrls = inject('backlogDatabaseUrls');
let nextUrl = 0;

interface Dialect {
  readonly name: string;
  /** A fresh database for one test: where to seed it, and the flags that point colibrid at it. */
  fresh(home: string): { config: StoreConfig; args: string[] };
}

const DIALECTS: readonly Dialect[] = [
  {
    name: 'SQLite',
    fresh: (home) => ({ config: { driver: 'sqlite', path: join(home, 'colibri.db') }, args: [] }),
  },
  {
    name: 'PostgreSQL',
    fresh: () => {
      const url = backlogUrls[nextUrl++];
      if (url === undefined) throw new Error('global-setup made too few backlog databases');
      return { config: { driver: 'postgres', connectionString: url }, args: ['--database-url', url] };
    },
  },
];

/** Intakes `count` tasks into `store` in transactions of up to 10,000. */
async function seed(store: Store, count: number, task: (i: number) => IntakeTaskInput): Promise<void> {
  for (let from = 0; from < count; from += 10_000) {
    const batch: IntakeTaskInput[] = [];
    for (let i = from; i < Math.min(count, from + 10_000); i++) batch.push(task(i));
    await store.intakeTasks(batch);
  }
}

describe.each(DIALECTS)('a large parked backlog on $name', (dialect) => {
  let daemon: Daemon | undefined;
  let store: Store | undefined;
  const homes: string[] = [];
  afterEach(async () => {
    await daemon?.dispose();
    daemon = undefined;
    await store?.close();
    store = undefined;
    for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  });

  /** A home seeded by `fill`, and colibrid started on it. */
  async function hive(fill: (store: Store) => Promise<void>): Promise<{ daemon: Daemon; store: Store }> {
    const home = mkdtempSync(join(tmpdir(), 'colibrid-backlog-'));
    homes.push(home);
    const { config, args } = dialect.fresh(home);
    store = await openStore(config);
    await fill(store);
    daemon = await startDaemon({ home, keepHome: true, args: ['--log-level', 'warn', ...args] });
    return { daemon, store };
  }

  it('no starvation: 12,000 older unsatisfiable tasks do not hide the 200 a new agent can run', {
    timeout: 180_000,
  }, async () => {
    const t0 = Date.now() - 3_600_000;
    const { daemon, store } = await hive(async (s) => {
      await seed(s, 12_000, (i) => ({
        title: `old ${i}`,
        requiredCapabilities: ['linux', `never-${i % 50}`],
        priority: i % 3,
        at: new Date(t0 + i),
      }));
      await seed(s, 200, (i) => ({
        title: `late ${i}`,
        requiredCapabilities: ['late'],
        at: new Date(t0 + 20_000 + i),
      }));
    });
    const { agent } = await daemon.operator.registerAgent({
      name: 'latecomer',
      capabilities: ['linux', 'late'],
      slots: 1000,
    });
    // Every one of them at once, in the registration itself.
    expect(agent.activeTasks).toBe(200);
    const counts = await store.countTasksByStatus();
    expect(counts).toMatchObject({ assigned: 200, parked: 12_000 });
    const assigned = await store.listTasks({ status: 'assigned', limit: 10_000 });
    expect(assigned.every((t) => t.title.startsWith('late ') && t.assignedAgentId === agent.id)).toBe(true);
  });

  it('an agent matching 2,000 parked tasks gets them all over its polls, best first', {
    timeout: 180_000,
  }, async () => {
    const t0 = Date.now() - 3_600_000;
    const { daemon, store } = await hive((s) =>
      seed(s, 2000, (i) => ({
        title: `bulk ${i}`,
        requiredCapabilities: ['bulk'],
        priority: i % 2,
        at: new Date(t0 + i),
      })),
    );
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'bulk-worker',
      capabilities: ['bulk'],
      slots: 2000,
    });
    expect((await store.countActiveTasksByAgent()).get(agent.id)).toBe(2000);
    const worker = daemon.client(token);
    const done = new Set<string>();
    let polls = 0;
    for (;;) {
      const { tasks } = await worker.poll(agent.id);
      polls++;
      if (tasks.length === 0) break;
      // Each poll hands them out best first: priority 1 before 0, oldest first within each.
      const order = tasks.map((t) => [-t.priority, Date.parse(t.createdAt)] as const);
      expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
      for (const task of tasks) expect(done.has(task.id)).toBe(false);
      // The agent works through them 16 at a time.
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < tasks.length) {
            const task = tasks[next++]!;
            await worker.transitionTask(task.id, { to: 'done', attempt: task.attempt, result: { ok: true } });
            done.add(task.id);
          }
        }),
      );
      expect(polls).toBeLessThan(10);
    }
    expect(done.size).toBe(2000);
    expect(await store.countTasksByStatus()).toMatchObject({ done: 2000, parked: 0, assigned: 0 });
  });

  it('intakes are answered while a 5,000-task unpark runs for another agent', {
    timeout: 180_000,
  }, async () => {
    const { daemon, store } = await hive((s) =>
      seed(s, 5000, (i) => ({ title: `wide ${i}`, requiredCapabilities: ['wide'] })),
    );
    await daemon.operator.registerAgent({ name: 'narrow', capabilities: ['narrow'], slots: 10_000 });
    let registered = false;
    const registration = daemon.operator
      .registerAgent({ name: 'wide-worker', capabilities: ['wide'], slots: 5000 })
      .finally(() => {
        registered = true;
      });
    const during: IntakeTaskResponse[] = [];
    while (!registered) {
      const answer = await daemon.operator.intakeTask({ title: 'quick', requiredCapabilities: ['narrow'] });
      if (!registered) during.push(answer);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { agent } = await registration;
    expect((await store.countActiveTasksByAgent()).get(agent.id)).toBe(5000);
    // Several intakes came back, each assigned at once, before the unpark ended.
    expect(during.length).toBeGreaterThanOrEqual(3);
    for (const answer of during) expect(answer.task.status).toBe('assigned');
    expect((await store.countTasksByStatus()).parked).toBe(0);
  });
});
