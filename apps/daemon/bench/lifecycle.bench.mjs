// Daemon benchmark: over the Unix socket on SQLite, with 20 agents long-polling, how many task
// lifecycles (intake → dispatch → running → done) per second, and how long from intake until the
// agent's poll returns the task (p50/p99). Beside them, in the same run, the raw rate of
// single-row committed SQLite transactions with the store's own settings (WAL, synchronous=FULL):
// the floor of the storage cost. Then the CLI's cold start. Prints one Markdown section.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@colibri/client';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const daemonMain = join(here, '..', 'dist', 'main.js');
const cliBin = join(here, '..', '..', 'colibri', 'bin', 'run.js');
const log = (line) => process.stderr.write(`${line}\n`);

const AGENTS = 20;
const TASKS = Number(process.env.BENCH_TASKS ?? 2000);
const LATENCY_TASKS = 200;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function waitFor(path, ms = 15_000) {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rawSqliteRate(dir) {
  const Database = require(
    require.resolve('better-sqlite3', { paths: [join(here, '..', '..', '..', 'packages', 'store')] }),
  );
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, v text)');
  const insert = db.prepare('insert into t (v) values (?)');
  const n = 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    db.exec('begin immediate');
    insert.run(`row ${i}`);
    db.exec('commit');
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return n / seconds;
}

function coldStart(args, runs = 7) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, [cliBin, ...args], { stdio: 'ignore', env: process.env });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const home = mkdtempSync(join(tmpdir(), 'colibri-bench-'));
const daemon = spawn(process.execPath, [daemonMain, '--home', home, '--log-level', 'warn'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  const socketPath = join(home, 'colibri.sock');
  await waitFor(socketPath);
  await waitFor(join(home, 'operator.token'));
  const operator = createClient({
    socketPath,
    token: readFileSync(join(home, 'operator.token'), 'utf8').trim(),
  });
  await operator.status();

  // Per task: when an agent's poll returned it, and when it was reported done.
  const seenAt = new Map();
  const doneAt = new Map();
  const watchers = new Map();
  const notify = (id) => watchers.get(id)?.();
  const until = (id, map) =>
    map.has(id)
      ? Promise.resolve()
      : new Promise((resolve) => watchers.set(id, () => map.has(id) && resolve()));
  let stopping = false;

  async function agentLoop(i) {
    const { agent, token } = await operator.registerAgent({
      name: `bench-${i}`,
      capabilities: ['linux', 'bench'],
    });
    const client = createClient({ socketPath, token, timeoutMs: 60_000 });
    while (!stopping) {
      const { tasks } = await client.poll(agent.id, { waitSeconds: 5 });
      const now = performance.now();
      for (const task of tasks.filter((t) => t.status === 'assigned')) {
        seenAt.set(task.id, now);
        notify(task.id);
        await client.transitionTask(task.id, { to: 'running', attempt: task.attempt });
        await client.transitionTask(task.id, { to: 'done', attempt: task.attempt, result: { ok: true } });
        doneAt.set(task.id, performance.now());
        notify(task.id);
      }
    }
  }

  log(`daemon up; starting ${AGENTS} agents`);
  const loops = Array.from({ length: AGENTS }, (_, i) => agentLoop(i));
  await new Promise((r) => setTimeout(r, 500));

  // Phase 1, throughput: the operator keeps 8 intakes in flight until TASKS are done.
  log(`throughput: ${TASKS} tasks, 8 intakes in flight`);
  const t0 = performance.now();
  const ids = [];
  const inflight = new Set();
  for (let i = 0; i < TASKS; i++) {
    const p = operator
      .intakeTask({ title: `bench ${i}`, requiredCapabilities: ['bench'] })
      .then(({ task }) => ids.push(task.id));
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    if (inflight.size >= 8) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  for (const id of ids) await until(id, doneAt);
  const seconds = (performance.now() - t0) / 1000;

  // Phase 2, latency: one task at a time on an idle hive, intake sent -> an agent's poll returned it.
  log(`latency: ${LATENCY_TASKS} tasks one at a time`);
  const latencies = [];
  for (let i = 0; i < LATENCY_TASKS; i++) {
    const sent = performance.now();
    const { task } = await operator.intakeTask({ title: `latency ${i}`, requiredCapabilities: ['bench'] });
    await until(task.id, seenAt);
    latencies.push(seenAt.get(task.id) - sent);
    await until(task.id, doneAt);
  }
  stopping = true;
  await Promise.allSettled(loops);

  latencies.sort((a, b) => a - b);
  const raw = rawSqliteRate(home);
  const helpMs = coldStart(['--help']);
  const listMs = coldStart(['list-agents', '--home', home]);

  const out = [
    '## Daemon: task lifecycle over the Unix socket (SQLite)',
    '',
    `Workload: ${AGENTS} agents long-poll (\`wait=5\`) and report running then done, all over HTTP on the Unix socket. Throughput: ${TASKS} tasks intaken by the operator with 8 requests in flight, timed until all are done (lifecycle = intake → dispatch → poll → running → done). Dispatch latency: ${LATENCY_TASKS} tasks intaken one at a time on the otherwise idle hive, from the intake request being sent to an agent's long poll returning the task. The raw rate is single-row committed transactions on this machine with the store's settings (WAL, synchronous=FULL), measured in the same run: each lifecycle costs at least 4 commits (intake, assign, running, done) plus reads.`,
    '',
    '| measure | value |',
    '|---|---:|',
    `| task lifecycles per second | ${(TASKS / seconds).toFixed(0)} |`,
    `| dispatch latency p50 (one task at a time) | ${percentile(latencies, 50).toFixed(2)} ms |`,
    `| dispatch latency p99 (one task at a time) | ${percentile(latencies, 99).toFixed(2)} ms |`,
    `| raw SQLite committed transactions per second | ${raw.toFixed(0)} |`,
    `| \`colibri --help\` cold start (median of 7) | ${helpMs.toFixed(0)} ms |`,
    `| \`colibri list-agents\` cold start (median of 7) | ${listMs.toFixed(0)} ms |`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  rmSync(home, { recursive: true, force: true });
}
