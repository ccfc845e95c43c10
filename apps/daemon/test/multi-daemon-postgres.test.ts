import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiTask } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import { openStore, type Store } from '@colibri/store';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { codeOf, type Daemon, eventually, startDaemon } from './daemon-harness.js';
import { runLifecycle } from './lifecycle.js';

// Several colibrid processes, each with its own home (socket, operator token), sharing one
// PostgreSQL database: intake on any, dispatch from any, wake-ups carried by the change feed.
const urls = inject('multiDaemonDatabaseUrls');
let nextUrl = 0;

/** Where one test's hive keeps its state, and what it started (stopped after the test). */
interface Hive {
  readonly url: string;
  readonly daemons: Daemon[];
  readonly store: Store;
}

const open: Hive[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const hive of open.splice(0)) {
    await Promise.all(hive.daemons.map((daemon) => daemon.dispose()));
    await hive.store.close();
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** `count` daemons on a fresh database, and a store handle on it to check what they did. */
async function startHive(count: number, args: readonly string[] = []): Promise<Hive> {
  const url = urls[nextUrl++];
  if (url === undefined) throw new Error('global-setup made too few databases for this file');
  const daemons: Daemon[] = [];
  const store = await openStore({ driver: 'postgres', connectionString: url });
  const hive = { url, daemons, store };
  open.push(hive);
  // One at a time: the first applies the migrations (concurrent starts are covered by the store's tests).
  for (let i = 0; i < count; i++) daemons.push(await startDaemon({ args: ['--database-url', url, ...args] }));
  return hive;
}

/** Runs `work` on each item with at most `width` at once. */
async function pool<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

/** The `assigned` events of a task, per attempt: every attempt must have exactly one. */
async function assignmentsOf(store: Store, taskId: string) {
  const events = await store.listTaskEvents(taskId);
  const assigned = events.filter((e) => e.to === 'assigned');
  return { events, assigned, attempts: assigned.map((e) => e.attempt) };
}

function assignCount(metrics: string): number {
  const match = /colibri_dispatch_latency_seconds_count\{stage="assign"\} (\d+)/.exec(metrics);
  return match === null ? 0 : Number(match[1]);
}

/**
 * An agent's worker loop: long-polls through the first daemon of `via` that answers (moving on to
 * the next when one goes away), runs each assigned task (running, then done) and records what it
 * was given. Stops when `stop()` says so.
 */
function worker(
  agent: { id: string; name: string; token: string },
  via: readonly Daemon[],
  stop: () => boolean,
  log: { deliveries: Map<string, Set<string>>; refusals: string[]; switches: string[] },
) {
  let current = 0;
  const client = (): ColibriClient => (via[current] as Daemon).client(agent.token);
  const act = async (fn: () => Promise<unknown>, what: string): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'COLIBRI_DAEMON_UNREACHABLE' && current < via.length - 1) {
        current++;
        log.switches.push(`${agent.name}: ${what}`);
        return false;
      }
      log.refusals.push(`${agent.name} ${what}: ${code ?? (error as Error).message}`);
      return false;
    }
  };
  const run = async (task: ApiTask) => {
    if (task.status === 'assigned') {
      const taken = log.deliveries.get(task.id) ?? new Set<string>();
      taken.add(`${agent.name}#${task.attempt}`);
      log.deliveries.set(task.id, taken);
      if (
        !(await act(
          () => client().transitionTask(task.id, { to: 'running', attempt: task.attempt }),
          'running',
        ))
      )
        return;
    }
    await act(
      () =>
        client().transitionTask(task.id, { to: 'done', attempt: task.attempt, result: { by: agent.name } }),
      'done',
    );
  };
  return (async () => {
    while (!stop()) {
      let tasks: readonly ApiTask[] = [];
      const polled = await act(async () => {
        ({ tasks } = await client().poll(agent.id, { waitSeconds: 2 }));
      }, 'poll');
      if (!polled) continue;
      for (const task of tasks) await run(task);
    }
  })();
}

describe('several colibrid daemons on one PostgreSQL', () => {
  it('runs the seed lifecycle through two daemons: tasks taken in on one, agents served by the other', async () => {
    const { daemons } = await startHive(2);
    const [a, b] = daemons as [Daemon, Daemon];
    expect((await a.operator.status()).driver).toBe('postgres');
    expect(a.logs()).toContain('"changeFeed":"live"');
    await runLifecycle(a, b);
  });

  it('agent tokens work on every daemon; operator tokens are per home unless the same file is installed', async () => {
    const { daemons, url } = await startHive(2);
    const [a, b] = daemons as [Daemon, Daemon];
    const { agent, token } = await a.operator.registerAgent({ name: 'roamer', capabilities: ['linux'] });
    // The agent's token hash is in the shared database: any daemon knows it.
    expect((await b.client(token).heartbeat(agent.id)).agent).toMatchObject({ name: 'roamer' });
    expect(await codeOf(b.client(token).listAgents())).toBe('COLIBRI_FORBIDDEN');
    // Each home has its own operator token: A's is a stranger to B.
    expect(a.operatorToken).not.toBe(b.operatorToken);
    expect(await codeOf(b.client(a.operatorToken).status())).toBe('COLIBRI_UNAUTHENTICATED');
    // The documented way to use one operator token everywhere: install the same file in each home.
    const home = mkdtempSync(join(tmpdir(), 'colibrid-shared-token-'));
    homes.push(home);
    writeFileSync(join(home, 'operator.token'), `${a.operatorToken}\n`, { mode: 0o600 });
    const c = await startDaemon({ home, keepHome: true, args: ['--database-url', url] });
    daemons.push(c);
    expect(c.operatorToken).toBe(a.operatorToken);
    expect((await c.client(a.operatorToken).listAgents()).agents.map((x) => x.name)).toEqual(['roamer']);
  });

  it('an agent retired through one daemon is refused by the others at once: its cached token is dropped', async () => {
    const { daemons } = await startHive(2, ['--sweep-interval', '10m']);
    const [a, b] = daemons as [Daemon, Daemon];
    const { agent, token } = await a.operator.registerAgent({
      name: 'acme-1',
      capabilities: [],
      tenant: 'acme',
    });
    // B has looked the token up (and cached it) before the retirement.
    expect((await b.client(token).heartbeat(agent.id)).agent.id).toBe(agent.id);
    await a.operator.retireAgent(agent.id, { reason: 'jail destroyed' });
    expect(await codeOf(a.client(token).status())).toBe('COLIBRI_UNAUTHENTICATED');
    await eventually(
      async () => ((await codeOf(b.client(token).status())) === 'COLIBRI_UNAUTHENTICATED' ? true : undefined),
      'daemon B to refuse the retired agent',
    );
    expect((await b.operator.listAgents()).agents).toEqual([]);
  });

  it('the change feed carries wake-ups between daemons (no sweep or re-read can: --sweep-interval 10m)', async () => {
    // With a 10-minute sweep, the long poll's safety re-read is 10 minutes too: within this test
    // only the change feed can tell one daemon what another did. A poll that is never woken
    // returns empty after its wait, and the test fails.
    const { daemons, store } = await startHive(2, ['--sweep-interval', '10m']);
    const [a, b] = daemons as [Daemon, Daemon];

    // 1. Taken in on A with nobody able to run it; an agent registers on B and polls there.
    const gpuTask = await a.operator.intakeTask({ title: 'gpu work', requiredCapabilities: ['gpu'] });
    expect(gpuTask.task.status).toBe('parked');
    const gpu = await b.operator.registerAgent({ name: 'gpu-box', capabilities: ['linux', 'gpu'] });
    expect(gpu.agent).toMatchObject({ status: 'active', activeTasks: 1 });
    const gpuPoll = await b.client(gpu.token).poll(gpu.agent.id, { waitSeconds: 50 });
    expect(gpuPoll.tasks.map((t) => t.id)).toEqual([gpuTask.task.id]);

    // 2. An agent registered on B waits in a long poll on B; a task it can run is taken in on A.
    //    A hears of the agent, or B of the task: either way only through the feed.
    const arm = await b.operator.registerAgent({ name: 'arm-box', capabilities: ['arm64'] });
    const armPoll = b.client(arm.token).poll(arm.agent.id, { waitSeconds: 50 });
    const armTask = await a.operator.intakeTask({ title: 'arm work', requiredCapabilities: ['arm64'] });
    expect((await armPoll).tasks.map((t) => t.id)).toEqual([armTask.task.id]);

    // 3. An agent registered on A long-polls through B; A assigns a task to it at intake: B's
    //    poll is woken by the feed's "assigned to" change.
    const riscv = await a.operator.registerAgent({ name: 'riscv-box', capabilities: ['riscv'] });
    const riscvPoll = b.client(riscv.token).poll(riscv.agent.id, { waitSeconds: 50 });
    // Only once the poll waits on B: had it come later, it would have found the task by reading.
    await eventually(
      async () =>
        (await b.operator.metrics()).includes('colibri_long_polls_waiting 1\n') ? true : undefined,
      'the poll to wait on B',
    );
    const riscvTask = await a.operator.intakeTask({ title: 'riscv work', requiredCapabilities: ['riscv'] });
    expect(riscvTask.assignedTo?.id).toBe(riscv.agent.id);
    expect((await riscvPoll).tasks.map((t) => t.id)).toEqual([riscvTask.task.id]);

    for (const id of [gpuTask.task.id, armTask.task.id, riscvTask.task.id]) {
      const { attempts } = await assignmentsOf(store, id);
      expect(attempts).toEqual([1]);
    }
    // Nothing above was the sweep's doing.
    for (const daemon of [a, b]) expect(daemon.logs()).not.toContain('safety sweep assigned');
  });

  it('many tasks taken in through three daemons, agents polling through others: each assigned exactly once', async () => {
    const { daemons, store } = await startHive(3, ['--sweep-interval', '10m']);
    const log = {
      deliveries: new Map<string, Set<string>>(),
      refusals: [] as string[],
      switches: [] as string[],
    };
    let stopping = false;
    const workers: Promise<void>[] = [];
    const agents: { id: string; name: string; token: string }[] = [];
    const addAgent = async (i: number, capabilities: string[]) => {
      const registrar = daemons[i % 3] as Daemon;
      const { agent, token } = await registrar.operator.registerAgent({ name: `w${i}`, capabilities });
      const entry = { id: agent.id, name: agent.name, token };
      agents.push(entry);
      // Polls through another daemon than the one it registered with.
      workers.push(worker(entry, [daemons[(i + 1) % 3] as Daemon], () => stopping, log));
    };
    for (let i = 0; i < 6; i++) await addAgent(i, i % 2 === 0 ? ['linux', 'gpu'] : ['linux']);

    const needs = (n: number) => (n % 10 === 9 ? ['arm64'] : n % 4 === 0 ? ['gpu'] : ['linux']);
    const total = 240;
    const accepted: string[] = [];
    const intake = pool(
      Array.from({ length: total }, (_, n) => n),
      12,
      async (n) => {
        const { task } = await (daemons[n % 3] as Daemon).operator.intakeTask({
          title: `load ${n}`,
          requiredCapabilities: needs(n),
        });
        accepted.push(task.id);
      },
    );
    // Mid-intake, the only arm64 agents appear: their parked tasks must reach them.
    await eventually(async () => (accepted.length >= total / 2 ? true : undefined), 'half the intake');
    await addAgent(6, ['arm64']);
    await addAgent(7, ['arm64', 'linux']);
    await intake;
    expect(accepted).toHaveLength(total);

    await eventually(
      async () => ((await store.countTasksByStatus()).done === total ? true : undefined),
      'every task to be done',
      120_000,
    );
    stopping = true;
    await Promise.all(workers);

    expect(log.refusals).toEqual([]);
    const agentNames = new Map(agents.map((a) => [a.id, a.name]));
    for (const id of accepted) {
      const { events, assigned, attempts } = await assignmentsOf(store, id);
      expect(attempts, id).toEqual([1]);
      const holder = assigned[0]?.agentId ?? null;
      // Delivered to exactly one agent, the one it was assigned to, which finished it.
      expect([...(log.deliveries.get(id) ?? [])], id).toEqual([`${agentNames.get(holder ?? '')}#1`]);
      expect(events.at(-1)).toMatchObject({ to: 'done', agentId: holder });
    }
    // Every assignment was made (and measured) by exactly one of the daemons.
    const counts = await Promise.all(daemons.map(async (d) => assignCount(await d.operator.metrics())));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(total);
    for (const daemon of daemons) expect(daemon.logs()).not.toContain('safety sweep assigned');
  }, 240_000);

  it('kill -9 of one daemon mid-load: the others carry on; every accepted task is stored and done', async () => {
    // The sweep is short here: an assignment the dead daemon had begun is rolled back without a
    // notification, and the survivors' sweep is what finds such a task parked again.
    const { daemons, store } = await startHive(3, ['--sweep-interval', '1s']);
    const [victim, b, c] = daemons as [Daemon, Daemon, Daemon];
    const log = {
      deliveries: new Map<string, Set<string>>(),
      refusals: [] as string[],
      switches: [] as string[],
    };
    let stopping = false;
    const workers: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      const { agent, token } = await (daemons[i % 3] as Daemon).operator.registerAgent({
        name: `k${i}`,
        capabilities: ['linux'],
      });
      // Half of them poll through the daemon about to die, then fail over.
      const via = i % 2 === 0 ? [victim, b, c] : [c, b];
      workers.push(worker({ id: agent.id, name: agent.name, token }, via, () => stopping, log));
    }

    const accepted = new Set<string>();
    const lost: string[] = [];
    let killed = false;
    const writer = async (daemon: Daemon, lane: string) => {
      for (let i = 0; ; i++) {
        if (daemon !== victim && killed && accepted.size >= 300) return;
        try {
          const { task } = await daemon.operator.intakeTask({
            title: `${lane}-${i}`,
            requiredCapabilities: ['linux'],
          });
          accepted.add(task.id);
        } catch (error) {
          const code = (error as { code?: string }).code;
          // Only the killed daemon may fail a writer, and only by being gone.
          if (daemon === victim && code === 'COLIBRI_DAEMON_UNREACHABLE') return;
          lost.push(`${lane}-${i}: ${code}`);
          return;
        }
        if (!killed && accepted.size >= 100) {
          killed = true;
          victim.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(
      [victim, b, c].flatMap((daemon, d) => [writer(daemon, `d${d}a`), writer(daemon, `d${d}b`)]),
    );
    expect((await victim.stop()).signal).toBe('SIGKILL');
    expect(lost).toEqual([]);
    expect(accepted.size).toBeGreaterThanOrEqual(300);

    // Everything in the store, acknowledged or not (a task committed just before the kill but
    // never acknowledged is still a task), ends done.
    await eventually(
      async () => {
        const counts = await store.countTasksByStatus();
        const all = Object.values(counts).reduce((sum, n) => sum + n, 0);
        return all > 0 && counts.done === all ? true : undefined;
      },
      'every stored task to be done',
      150_000,
    );
    stopping = true;
    await Promise.all(workers);
    expect(log.switches.length).toBeGreaterThan(0);

    const stored = await store.listTasks({ limit: 10_000 });
    const byId = new Map(stored.map((t) => [t.id, t]));
    for (const id of accepted) expect(byId.get(id)?.status, id).toBe('done');
    for (const task of stored) {
      const { events, assigned, attempts } = await assignmentsOf(store, task.id);
      // One assignment per attempt, numbered 1, 2, … with no gap or repeat.
      expect(attempts, task.id).toEqual(attempts.map((_, i) => i + 1));
      expect(task.attempt).toBe(assigned.length);
      // Finished by the agent holding the last attempt.
      expect(events.at(-1)).toMatchObject({ to: 'done', agentId: assigned.at(-1)?.agentId });
    }
    // The survivors served throughout.
    expect((await b.operator.status()).driver).toBe('postgres');
    expect((await c.operator.status()).driver).toBe('postgres');
  }, 240_000);
});
