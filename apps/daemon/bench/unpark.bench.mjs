// Unpark benchmark (in `pnpm bench @colibri/daemon`): a colibrid on SQLite whose backlog holds
// BENCH_UNPARK_TASKS (default 10,000) parked tasks needing `wide` and BENCH_UNPARK_UNMATCHED
// (default 100,000) that no agent will ever match (`never`), seeded straight into the store before
// colibrid starts (its start-up sweep indexes them). One steady agent (`steady`, claiming polls)
// works a stream of intakes the whole time, one request in flight:
//   1. baseline: intake answer times with the backlog idle;
//   2. agent events that match nothing: 20 registrations with a tag no parked task needs, next to
//      `GET /v1/status` (the floor of one request) in the same run;
//   3. one agent registers with `wide` and BENCH_UNPARK_TASKS slots: its registration answer comes
//      once every `wide` task is assigned to it (the answer's activeTasks is checked), while the
//      intake stream goes on: intake answer times during the unpark.
// Prints one Markdown section on stdout; progress on stderr. BENCH_DAEMON_PROFILE_DIR=DIR writes a
// V8 CPU profile of colibrid into DIR.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@colibri/client';
import { openStore } from '@colibri/store';

const here = fileURLToPath(new URL('.', import.meta.url));
const daemonMain = join(here, '..', 'dist', 'main.js');
const WIDE = Number(process.env.BENCH_UNPARK_TASKS ?? 10_000);
const NEVER = Number(process.env.BENCH_UNPARK_UNMATCHED ?? 100_000);
const BASELINE_INTAKES = 300;
const IDLE_EVENTS = 20;
const SEED_BATCH = 10_000;
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (value) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) };
};

async function seed(path) {
  const store = await openStore({ driver: 'sqlite', path });
  const started = performance.now();
  const hourAgo = Date.now() - 3_600_000;
  const kinds = [
    { tag: 'never', count: NEVER },
    { tag: 'wide', count: WIDE },
  ];
  try {
    for (const { tag, count } of kinds) {
      for (let from = 0; from < count; from += SEED_BATCH) {
        const batch = [];
        for (let i = from; i < Math.min(count, from + SEED_BATCH); i++) {
          batch.push({
            title: `${tag} ${i}`,
            requiredCapabilities: [tag],
            priority: i % 3,
            at: new Date(hourAgo + i),
          });
        }
        await store.intakeTasks(batch);
      }
    }
  } finally {
    await store.close();
  }
  log(`  seeded ${NEVER} + ${WIDE} parked tasks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function startDaemon(home) {
  const profile = process.env.BENCH_DAEMON_PROFILE_DIR
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_DAEMON_PROFILE_DIR]
    : [];
  const child = spawn(process.execPath, [...profile, daemonMain, '--home', home, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const socketPath = join(home, 'colibri.sock');
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`colibrid exited (${child.exitCode}) before it answered`);
    if (existsSync(socketPath) && existsSync(join(home, 'operator.token'))) {
      const operator = createClient({
        socketPath,
        token: readFileSync(join(home, 'operator.token'), 'utf8').trim(),
        timeoutMs: 600_000,
      });
      try {
        await operator.status();
        log(`  colibrid answered after ${((performance.now() - started) / 1000).toFixed(1)} s`);
        return { child, socketPath, operator };
      } catch {}
    }
    await sleep(20);
  }
}

/** The steady agent: claiming long polls, every task reported done at once. */
function steadyAgent(socketPath, agentId, token, stopped) {
  const client = createClient({ socketPath, token, timeoutMs: 600_000 });
  return (async () => {
    while (!stopped()) {
      const { tasks, claimed = [] } = await client.poll(agentId, { waitSeconds: 1, claim: 8, holding: [] });
      const ours = new Set(claimed.map((c) => `${c.taskId}#${c.attempt}`));
      for (const task of tasks.filter((t) => ours.has(`${t.id}#${t.attempt}`))) {
        await client.transitionTask(task.id, { to: 'done', attempt: task.attempt, result: { ok: true } });
      }
    }
  })();
}

/** Intakes one task at a time for `steady` until `stop()` is true; each answer time with its send time. */
async function intakeStream(operator, stop, samples) {
  for (let i = 0; !stop(samples.length); i++) {
    const sent = performance.now();
    await operator.intakeTask({ title: `steady ${i}`, requiredCapabilities: ['steady'] });
    samples.push({ sent, ms: performance.now() - sent });
  }
}

const home = mkdtempSync(join(tmpdir(), 'colibri-unpark-bench-'));
const load = [loadavg()[0]];
let daemon;
try {
  log('unpark: seeding the backlog');
  await seed(join(home, 'colibri.db'));
  daemon = await startDaemon(home);
  const { operator, socketPath } = daemon;
  let stopping = false;
  const steady = await operator.registerAgent({ name: 'steady', capabilities: ['steady'], slots: 8 });
  const steadyLoop = steadyAgent(socketPath, steady.agent.id, steady.token, () => stopping);

  log('unpark: baseline intakes');
  const baseline = [];
  await intakeStream(operator, (n) => n >= BASELINE_INTAKES, baseline);

  log('unpark: agent events that match no parked task');
  const idleEvents = [];
  const statusRequests = [];
  for (let i = 0; i < IDLE_EVENTS; i++) {
    let sent = performance.now();
    await operator.registerAgent({ name: `idle-${i}`, capabilities: [`idle-${i}`] });
    idleEvents.push(performance.now() - sent);
    sent = performance.now();
    await operator.status();
    statusRequests.push(performance.now() - sent);
  }

  log(`unpark: one agent registers with wide and ${WIDE} slots`);
  const during = [];
  let registered;
  const stream = intakeStream(operator, () => registered !== undefined, during);
  await sleep(50);
  const sent = performance.now();
  const wide = await operator.registerAgent({ name: 'wide', capabilities: ['wide'], slots: WIDE });
  registered = performance.now();
  await stream;
  if (wide.agent.activeTasks !== WIDE) {
    throw new Error(`the wide agent's registration answered with ${wide.agent.activeTasks} of ${WIDE} tasks`);
  }
  stopping = true;
  await steadyLoop;
  load.push(loadavg()[0]);

  const unparkMs = registered - sent;
  const base = summary(baseline.map((s) => s.ms));
  const meanwhile = summary(during.filter((s) => s.sent >= sent && s.sent < registered).map((s) => s.ms));
  const idle = summary(idleEvents);
  const status = summary(statusRequests);
  log(`  unpark of ${WIDE} in ${ms(unparkMs)} ms; intake p99 ${ms(base.p99)} → ${ms(meanwhile.p99)} ms`);

  const cpu = cpus();
  process.stdout.write(`## Daemon: unpark and agent events with a large backlog

\`node apps/daemon/bench/unpark.bench.mjs\` (in \`pnpm bench\`), one run, ${new Date().toISOString().slice(0, 16)}Z on ${cpu[0]?.model.split(' ').slice(0, 2).join(' ')} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; 1-minute load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end. colibrid on SQLite (WAL, synchronous=FULL) with ${NEVER.toLocaleString('en')} parked tasks no agent matches and ${WIDE.toLocaleString('en')} parked tasks needing \`wide\`, seeded before it starts. A steady agent works a stream of intakes (one request in flight) throughout. Times are request send → answer, over the Unix socket.

| measure | n | p50 | p99 | max | target |
|---|---:|---:|---:|---:|---|
| intake, backlog idle | ${base.n} | ${ms(base.p50)} ms | ${ms(base.p99)} ms | ${ms(base.max)} ms | — |
| \`GET /v1/status\` (one request's floor) | ${status.n} | ${ms(status.p50)} ms | ${ms(status.p99)} ms | ${ms(status.max)} ms | — |
| agent registration matching none of the ${NEVER.toLocaleString('en')} + ${WIDE.toLocaleString('en')} parked | ${idle.n} | ${ms(idle.p50)} ms | ${ms(idle.p99)} ms | ${ms(idle.max)} ms | ≤ 2 ms |
| **unpark**: registration of an agent with \`wide\` and ${WIDE.toLocaleString('en')} slots, answered once all ${WIDE.toLocaleString('en')} are assigned to it | 1 | ${ms(unparkMs)} ms | — | — | ≤ 1 s |
| intake during that unpark | ${meanwhile.n} | ${ms(meanwhile.p50)} ms | ${ms(meanwhile.p99)} ms | ${ms(meanwhile.max)} ms | p99 ≤ 50 ms |

Unpark rate: ${Math.round(WIDE / (unparkMs / 1000)).toLocaleString('en')} tasks/s; intake p99 during it ${(meanwhile.p99 / base.p99).toFixed(1)}× the idle backlog's; a registration that matches nothing costs ${(idle.p50 / status.p50).toFixed(1)}× a status request.
`);
} finally {
  if (daemon !== undefined) {
    daemon.child.kill('SIGTERM');
    await new Promise((resolve) =>
      daemon.child.exitCode === null ? daemon.child.once('exit', resolve) : resolve(),
    );
  }
  rmSync(home, { recursive: true, force: true });
}
