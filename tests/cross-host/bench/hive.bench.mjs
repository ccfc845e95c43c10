// Cross-host benchmark, one run: the same task workload on
//   - SQLite, over the daemon's Unix socket (the baseline),
//   - SQLite, through the socat bridge (TCP on loopback -> the Unix socket),
//   - PostgreSQL with 1, 2 and 3 daemons sharing the database (operator and agents spread over them),
//   - graphile-worker on the same PostgreSQL, as a peer reference.
// Prints one Markdown section on stdout; progress on stderr.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createClient } from '@colibri/client';
import { startTestPostgres } from '@colibri/store/testing';

const require = createRequire(import.meta.url);
const daemonMain = join(dirname(require.resolve('@colibri/daemon/package.json')), 'dist', 'main.js');
const log = (line) => process.stderr.write(`${line}\n`);

const AGENTS = 20;
const TASKS = Number(process.env.BENCH_TASKS ?? 1000);
const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 100);
const IN_FLIGHT = 8;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, ready, ms = 20_000) {
  const until = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function startDaemon(args) {
  const home = mkdtempSync(join(tmpdir(), 'colibri-xbench-'));
  const child = spawn(process.execPath, [daemonMain, '--home', home, '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const socketPath = join(home, 'colibri.sock');
  return {
    home,
    socketPath,
    async ready() {
      await waitFor('colibrid', () => existsSync(socketPath) && existsSync(join(home, 'operator.token')));
      this.operatorToken = readFileSync(join(home, 'operator.token'), 'utf8').trim();
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function startSocat(socketPath, port) {
  const child = spawn(
    'socat',
    [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${socketPath}`],
    { stdio: 'ignore' },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * The workload: AGENTS agents long-poll and report running then done; the operator intakes TASKS
 * tasks with IN_FLIGHT requests outstanding (throughput), then LATENCY_TASKS one at a time
 * (intake sent -> an agent's long poll returns it). `endpoints` are client options (socket or url);
 * agents and intakes are spread over them round-robin. `operatorToken(i)` is the operator token valid at endpoint i.
 */
async function colibriWorkload(endpoints, operatorToken) {
  const operators = endpoints.map((endpoint, i) =>
    createClient({ ...endpoint, token: operatorToken(i), timeoutMs: 60_000 }),
  );
  const run = `${Date.now().toString(36)}`;
  const seenAt = new Map();
  const doneAt = new Map();
  const watchers = new Map();
  const notify = (id) => watchers.get(id)?.();
  // An agent loop that dies fails the whole measurement at once instead of hanging it.
  let failAll;
  const failure = new Promise((_, reject) => {
    failAll = reject;
  });
  failure.catch(() => {});
  const until = (id, map) =>
    map.has(id)
      ? Promise.resolve()
      : Promise.race([failure, new Promise((resolve) => watchers.set(id, () => map.has(id) && resolve()))]);
  let stopping = false;

  async function agentLoop(i) {
    const endpoint = endpoints[i % endpoints.length];
    const { agent, token } = await operators[i % endpoints.length].registerAgent({
      name: `bench-${run}-${i}`,
      capabilities: ['linux', `bench-${run}`],
    });
    const client = createClient({ ...endpoint, token, timeoutMs: 60_000 });
    while (!stopping) {
      const { tasks } = await client.poll(agent.id, { waitSeconds: 2 });
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

  const loops = Array.from({ length: AGENTS }, (_, i) =>
    agentLoop(i).catch((error) => failAll(new Error(`agent ${i} stopped: ${error.message}`))),
  );
  await sleep(500);
  const t0 = performance.now();
  const ids = [];
  const inflight = new Set();
  for (let i = 0; i < TASKS; i++) {
    const p = operators[i % operators.length]
      .intakeTask({ title: `bench ${i}`, requiredCapabilities: [`bench-${run}`] })
      .then(({ task }) => ids.push(task.id));
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  for (const id of ids) await until(id, doneAt);
  const seconds = (performance.now() - t0) / 1000;

  const latencies = [];
  for (let i = 0; i < LATENCY_TASKS; i++) {
    const sent = performance.now();
    const { task } = await operators[i % operators.length].intakeTask({
      title: `latency ${i}`,
      requiredCapabilities: [`bench-${run}`],
    });
    await until(task.id, seenAt);
    latencies.push(seenAt.get(task.id) - sent);
    await until(task.id, doneAt);
  }
  stopping = true;
  await Promise.allSettled(loops);
  latencies.sort((a, b) => a - b);
  return { perSecond: TASKS / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** The same shape of work on graphile-worker: jobs added with IN_FLIGHT outstanding, AGENTS-way concurrency. */
async function graphileWorkload(connectionString) {
  const { run, makeWorkerUtils } = await import('graphile-worker');
  const startedAt = new Map();
  const doneAt = new Map();
  const watchers = new Map();
  const notify = (id) => watchers.get(id)?.();
  const until = (id, map) =>
    map.has(id)
      ? Promise.resolve()
      : new Promise((resolve) => watchers.set(id, () => map.has(id) && resolve()));
  const utils = await makeWorkerUtils({ connectionString });
  await utils.migrate();
  const runner = await run({
    connectionString,
    concurrency: AGENTS,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: new (await import('graphile-worker')).Logger(() => () => {}),
    taskList: {
      bench: async (payload) => {
        startedAt.set(payload.id, performance.now());
        notify(payload.id);
        doneAt.set(payload.id, performance.now());
        notify(payload.id);
      },
    },
  });
  // graphile-worker completes a job after the handler returns; count completions by handler end.
  const t0 = performance.now();
  const inflight = new Set();
  for (let i = 0; i < TASKS; i++) {
    const p = utils.addJob('bench', { id: `t${i}` });
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  for (let i = 0; i < TASKS; i++) await until(`t${i}`, doneAt);
  const seconds = (performance.now() - t0) / 1000;
  const latencies = [];
  for (let i = 0; i < LATENCY_TASKS; i++) {
    const id = `l${i}`;
    const sent = performance.now();
    await utils.addJob('bench', { id });
    await until(id, startedAt);
    latencies.push(startedAt.get(id) - sent);
  }
  await runner.stop();
  await utils.release();
  latencies.sort((a, b) => a - b);
  return { perSecond: TASKS / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const rows = [];
const row = (name, result) => {
  log(`  ${name}: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50.toFixed(2)} ms`);
  rows.push(
    `| ${name} | ${result.perSecond.toFixed(0)} | ${result.p50.toFixed(2)} ms | ${result.p99.toFixed(2)} ms |`,
  );
};

// SQLite: local socket vs the bridge, same daemon.
{
  log('sqlite: local socket, then through the socat bridge');
  const daemon = startDaemon([]);
  await daemon.ready();
  const bridge = startSocat(daemon.socketPath, 19190);
  try {
    await waitFor('the bridge', async () => {
      try {
        await createClient({ url: bridge.url, token: daemon.operatorToken }).status();
        return true;
      } catch {
        return false;
      }
    });
    row(
      'SQLite, 1 daemon, Unix socket',
      await colibriWorkload([{ socketPath: daemon.socketPath }], () => daemon.operatorToken),
    );
    row(
      'SQLite, 1 daemon, through the socat bridge (TCP)',
      await colibriWorkload([{ url: bridge.url }], () => daemon.operatorToken),
    );
  } finally {
    await bridge.stop();
    await daemon.stop();
  }
}

// PostgreSQL: 1, 2, 3 daemons on one database, then graphile-worker on the same server.
const postgres = await startTestPostgres();
try {
  for (const count of [1, 2, 3]) {
    log(`postgres: ${count} daemon(s)`);
    const database = `bench_${count}`;
    const url = await postgres.createDatabase(database);
    const daemons = Array.from({ length: count }, () => startDaemon(['--database-url', url]));
    try {
      for (const daemon of daemons) await daemon.ready();
      row(
        `PostgreSQL, ${count} daemon${count > 1 ? 's' : ''}, Unix sockets`,
        await colibriWorkload(
          daemons.map((daemon) => ({ socketPath: daemon.socketPath })),
          (i) => daemons[i].operatorToken,
        ),
      );
    } finally {
      for (const daemon of daemons) await daemon.stop();
    }
  }
  log('postgres: graphile-worker');
  row(
    'graphile-worker 0.16.6 (same PostgreSQL, 20-way concurrency)',
    await graphileWorkload(await postgres.createDatabase('bench_graphile')),
  );
} finally {
  await postgres.stop();
}

process.stdout.write(
  `${[
    '## Across hosts: bridge, several daemons on PostgreSQL, graphile-worker',
    '',
    `Workload (every row, one run): ${AGENTS} agents long-poll and report running then done over HTTP; the operator intakes ${TASKS} tasks with ${IN_FLIGHT} requests in flight, timed until all are done (lifecycles/s); then ${LATENCY_TASKS} tasks one at a time, from the intake request being sent to an agent's long poll returning it (dispatch latency). With several daemons, agents and intakes are spread over them round-robin, so most tasks are taken in by one daemon and handed to an agent polling another (the change feed wakes it). The bridge row is the same daemon reached through socat on loopback TCP instead of its Unix socket. graphile-worker is a job queue, not a capability router: its row is the same number of jobs added with ${IN_FLIGHT} in flight and run by one worker process with ${AGENTS}-way concurrency, latency = addJob sent -> the handler starts. Comparable: the PostgreSQL round trips per unit of work and the wake-up path (both use LISTEN/NOTIFY). Not comparable: colibri does capability matching, per-agent HTTP long polls, fencing tokens and an append-only event log per task; graphile-worker runs the handler in-process with no network hop to a worker.`,
    '',
    '| setup | lifecycles/s | dispatch p50 | dispatch p99 |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n')}\n`,
);
