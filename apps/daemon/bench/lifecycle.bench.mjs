// Daemon benchmark, one run, every row side by side:
//   - colibri's task lifecycle (intake → assign → claiming poll → done) over the Unix socket, on
//     SQLite and on PostgreSQL, each next to the raw committed-transaction rate of the same
//     database measured in the same run (the floor of the storage cost), with the commits, HTTP
//     requests, PostgreSQL statements and daemon CPU each lifecycle cost;
//   - graphile-worker 0.16.6 on the same PostgreSQL server, its worker in a separate process;
//   - BullMQ 6.7.0 on Debian's redis-server (loopback, started here), its worker in a separate
//     process — when redis-server is installed (`sh scripts/setup.sh --with-bench-tools`).
// Prints one Markdown section on stdout; progress on stderr. BENCH_TASKS / BENCH_LATENCY_TASKS
// change the sizes; BENCH_ONLY=sqlite runs only the SQLite rows (colibrid and the raw rate),
// BENCH_ONLY=postgres only the PostgreSQL rows (colibrid, the raw rate, graphile-worker), and
// BENCH_PG_STATEMENTS=1 prints colibri's pg_stat_statements calls per lifecycle, by query, on stderr;
// BENCH_DAEMON_PROFILE_DIR=DIR writes a V8 CPU profile of each colibrid into DIR (node --cpu-prof).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@colibri/client';
import { startTestPostgres } from '@colibri/store/testing';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const storeDir = join(here, '..', '..', '..', 'packages', 'store');
/** The store's own drivers (better-sqlite3, pg): the same builds colibrid runs on. */
const storeDriver = (name) => require(require.resolve(name, { paths: [storeDir] }));
const daemonMain = join(here, '..', 'dist', 'main.js');
const log = (line) => process.stderr.write(`${line}\n`);

const AGENTS = 20;
const IN_FLIGHT = 8;
const TASKS = Number(process.env.BENCH_TASKS ?? 2000);
const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 200);
const RAW_COMMITS = 2000;
/** Seconds of open-loop load at 75% of the throughput just measured (dispatch latency under load). */
const LOADED_SECONDS = Number(process.env.BENCH_LOADED_SECONDS ?? 5);
const ONLY_SQLITE = process.env.BENCH_ONLY === 'sqlite';
const ONLY_POSTGRES = process.env.BENCH_ONLY === 'postgres';
const PG_STATEMENTS = process.env.BENCH_PG_STATEMENTS === '1';
const CLOCK_TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim() || 100);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const wallNow = () => performance.timeOrigin + performance.now();

/**
 * Dispatch latency under load: intakes (`send(i)`, resolving to the id) sent open-loop at `rate`
 * per second — each on its schedule, answered or not — for LOADED_SECONDS, each timed from its
 * send to `seen(id)` (the time its worker got it, on the clock `now`). Sorted, in ms.
 */
async function loadedLatencies(rate, send, seen, now) {
  const count = Math.max(100, Math.round(rate * LOADED_SECONDS));
  const latencies = [];
  const pending = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const sent = now();
    pending.push(send(i).then(async (id) => latencies.push((await seen(id)) - sent)));
  }
  await Promise.all(pending);
  return latencies.sort((a, b) => a - b);
}

async function waitFor(what, ready, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system) a process has used, in ms, from /proc. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** Sum of every sample of metric `name` in a Prometheus text exposition. */
function metricSum(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

function startDaemon(args) {
  const home = mkdtempSync(join(tmpdir(), 'colibri-bench-'));
  const profile = process.env.BENCH_DAEMON_PROFILE_DIR
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_DAEMON_PROFILE_DIR]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, daemonMain, '--home', home, '--log-level', 'warn', ...args],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const socketPath = join(home, 'colibri.sock');
  return {
    home,
    socketPath,
    pid: child.pid,
    async ready() {
      await waitFor('colibrid', () => existsSync(socketPath) && existsSync(join(home, 'operator.token')));
      this.token = readFileSync(join(home, 'operator.token'), 'utf8').trim();
      this.operator = createClient({ socketPath, token: this.token, timeoutMs: 60_000 });
      await this.operator.status();
      return this;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * colibri's workload: AGENTS agents long-poll with `claim` (as run-agent does: the poll moves the
 * task to running, no separate report) and report done; the operator intakes
 * TASKS tasks with IN_FLIGHT requests outstanding (throughput), then LATENCY_TASKS one at a time
 * (intake sent → an agent's long poll returns it). `probe` brackets the throughput phase (its
 * `before()`/`after()` read counters of the database under test).
 */
async function colibriWorkload(daemon, probe = { before: async () => {}, after: async () => ({}) }) {
  const { operator, socketPath } = daemon;
  const seenAt = new Map();
  const doneAt = new Map();
  const watchers = new Map();
  const notify = (id) => watchers.get(id)?.();
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
    const { agent, token } = await operator.registerAgent({
      name: `bench-${i}`,
      capabilities: ['linux', 'bench'],
    });
    const client = createClient({ socketPath, token, timeoutMs: 60_000 });
    while (!stopping) {
      // As run-agent polls: the poll claims what it returns (assigned → running in colibrid, in the
      // assignment's transaction when the poll was waiting), so no `running` report is sent.
      const { tasks, claimed = [] } = await client.poll(agent.id, { waitSeconds: 2, claim: 1, holding: [] });
      const now = performance.now();
      const ours = new Set(claimed.map((c) => `${c.taskId}#${c.attempt}`));
      for (const task of tasks.filter((t) => ours.has(`${t.id}#${t.attempt}`))) {
        seenAt.set(task.id, now);
        notify(task.id);
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

  const metricsBefore = await operator.metrics();
  await probe.before();
  const cpuBefore = cpuMs(daemon.pid);
  const t0 = performance.now();
  const ids = [];
  const inflight = new Set();
  for (let i = 0; i < TASKS; i++) {
    const p = operator
      .intakeTask({ title: `bench ${i}`, requiredCapabilities: ['bench'] })
      .then(({ task }) => ids.push(task.id));
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  for (const id of ids) await until(id, doneAt);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs(daemon.pid) - cpuBefore;
  const probed = await probe.after();
  const metricsAfter = await operator.metrics();
  const delta = (name) => metricSum(metricsAfter, name) - metricSum(metricsBefore, name);

  const latencies = [];
  for (let i = 0; i < LATENCY_TASKS; i++) {
    const sent = performance.now();
    const { task } = await operator.intakeTask({ title: `latency ${i}`, requiredCapabilities: ['bench'] });
    await until(task.id, seenAt);
    latencies.push(seenAt.get(task.id) - sent);
    await until(task.id, doneAt);
  }
  const loaded = await loadedLatencies(
    0.75 * (TASKS / seconds),
    (i) =>
      operator
        .intakeTask({ title: `loaded ${i}`, requiredCapabilities: ['bench'] })
        .then(({ task }) => task.id),
    async (id) => {
      await until(id, seenAt);
      const at = seenAt.get(id);
      await until(id, doneAt);
      return at;
    },
    () => performance.now(),
  );
  stopping = true;
  await Promise.allSettled(loops);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: TASKS / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    loadedP99: percentile(loaded, 99),
    cpuMs: cpu / TASKS,
    // The two /metrics scrapes are requests too; the one inside the window is not a lifecycle's.
    requests: (delta('colibri_http_requests_total') - 1) / TASKS,
    commits: delta('colibri_store_commits_total') / TASKS,
    // Mean group size: write operations per COMMIT (SQLite's group commit; 1 without it).
    writesPerCommit: delta('colibri_store_writes_total') / delta('colibri_store_commits_total'),
    ...probed,
  };
}

/**
 * A peer queue's workload, the same shape: TASKS jobs added with IN_FLIGHT outstanding and run by
 * a worker process with AGENTS-way concurrency (done = the queue recorded the job completed), then
 * LATENCY_TASKS one at a time (add sent → the handler starts).
 */
async function peerWorkload(kind, target, add, probe = { before: async () => {}, after: async () => ({}) }) {
  const worker = spawn(
    process.execPath,
    [join(here, 'peer-worker.mjs'), kind, String(target), String(AGENTS)],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const startedAt = new Map();
  const doneAt = new Map();
  const watchers = new Map();
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  worker.on('message', (message) => {
    if (message.ready) ready();
    const id = message.started ?? message.done;
    if (message.started !== undefined) startedAt.set(id, message.at);
    if (message.done !== undefined) doneAt.set(id, message.at);
    watchers.get(id)?.();
  });
  const exited = new Promise((_, reject) =>
    worker.once('exit', (code) => reject(new Error(`${kind} worker exited (${code})`))),
  );
  exited.catch(() => {});
  const until = (id, map) =>
    map.has(id)
      ? Promise.resolve()
      : Promise.race([exited, new Promise((resolve) => watchers.set(id, () => map.has(id) && resolve()))]);
  try {
    await Promise.race([isReady, exited]);
    await sleep(500);
    await probe.before();
    const t0 = performance.now();
    const inflight = new Set();
    for (let i = 0; i < TASKS; i++) {
      const p = add(`t${i}`);
      inflight.add(p);
      p.finally(() => inflight.delete(p));
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    for (let i = 0; i < TASKS; i++) await until(`t${i}`, doneAt);
    const seconds = (performance.now() - t0) / 1000;
    const probed = await probe.after();
    const latencies = [];
    for (let i = 0; i < LATENCY_TASKS; i++) {
      const id = `l${i}`;
      const sent = wallNow();
      await add(id);
      await until(id, startedAt);
      latencies.push(startedAt.get(id) - sent);
      await until(id, doneAt);
    }
    latencies.sort((a, b) => a - b);
    const loaded = await loadedLatencies(
      0.75 * (TASKS / seconds),
      (i) => add(`o${i}`).then(() => `o${i}`),
      async (id) => {
        await until(id, startedAt);
        await until(id, doneAt);
        return startedAt.get(id);
      },
      wallNow,
    );
    return {
      perSecond: TASKS / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      loadedP99: percentile(loaded, 99),
      ...probed,
    };
  } finally {
    worker.disconnect();
    await new Promise((resolve) => (worker.exitCode === null ? worker.once('exit', resolve) : resolve()));
  }
}

/** Single-row committed transactions per second with the store's own SQLite settings (WAL, FULL). */
function rawSqliteRate(dir) {
  const Database = storeDriver('better-sqlite3');
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, v text)');
  const insert = db.prepare('insert into t (v) values (?)');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RAW_COMMITS; i++) {
    db.exec('begin immediate');
    insert.run(`row ${i}`);
    db.exec('commit');
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return RAW_COMMITS / seconds;
}

/** Single-row committed transactions per second on PostgreSQL: one autocommit INSERT per round trip. */
async function rawPostgresRate(url) {
  const pg = storeDriver('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create table raw_t (id bigserial primary key, v text)');
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < RAW_COMMITS; i++) {
      await client.query({ name: 'raw', text: 'insert into raw_t (v) values ($1)', values: [`row ${i}`] });
    }
    return RAW_COMMITS / (Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    await client.end();
  }
}

/** Statements executed (pg_stat_statements, BEGIN/COMMIT included) and transactions committed in `database`. */
function postgresProbe(adminUrl, database, units) {
  let pg;
  let admin;
  const read = async () => {
    const statements = await admin.query(
      'select coalesce(sum(s.calls), 0)::bigint as n from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = $1',
      [database],
    );
    const commits = await admin.query('select xact_commit from pg_stat_database where datname = $1', [
      database,
    ]);
    // The server's CPU for this database: its client backends' user + system time, from /proc.
    const backends = await admin.query(
      'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    const cpu = new Map();
    for (const { pid } of backends.rows) {
      try {
        cpu.set(pid, cpuMs(pid));
      } catch {}
    }
    return { statements: Number(statements.rows[0].n), commits: Number(commits.rows[0].xact_commit), cpu };
  };
  let before;
  return {
    async before() {
      pg ??= storeDriver('pg');
      admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query('create extension if not exists pg_stat_statements');
      await admin.query('select pg_stat_statements_reset()');
      // pg_stat_database is updated when a backend reports; give the counters a moment to settle.
      await sleep(600);
      before = await read();
    },
    async after() {
      await sleep(600);
      const after = await read();

      if (PG_STATEMENTS) {
        const { rows } = await admin.query(
          'select s.calls, s.plans, s.total_plan_time, s.total_exec_time, s.query from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = $1 order by s.calls desc',
          [database],
        );
        for (const row of rows) {
          // Per unit of work: calls, plans made, and the server's planning and execution time (ms).
          const per = (n, digits) => (Number(n) / units).toFixed(digits).padStart(6);
          log(
            `  ${per(row.calls, 2)} calls ${per(row.plans, 2)} plans ${per(row.total_plan_time, 3)} plan ms ${per(row.total_exec_time, 3)} exec ms  ${row.query.replace(/\s+/g, ' ').slice(0, 120)}`,
          );
        }
      }
      await admin.end();
      let serverCpu = 0;
      for (const [pid, ms] of after.cpu) serverCpu += ms - (before.cpu.get(pid) ?? 0);
      return {
        pgServerCpuMs: serverCpu / units,
        pgStatements: (after.statements - before.statements) / units,
        pgTransactions: (after.commits - before.commits) / units,
      };
    },
  };
}

async function startRedis() {
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  if (which.status !== 0) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'colibri-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const { Redis } = await import('ioredis');
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await waitFor('redis-server', async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    }
  });
  probe.disconnect();
  const version = spawnSync('redis-server', ['--version'])
    .stdout.toString()
    .match(/v=([\d.]+)/)?.[1];
  return {
    port,
    version,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const loadAtStart = loadavg()[0];
const fmt = (n, digits = 0) => (n === undefined ? '—' : n.toFixed(digits));
const rows = [];

// ---- SQLite -------------------------------------------------------------------------------
let sqlite;
let sqliteRaw;
if (!ONLY_POSTGRES) {
  log('sqlite: colibrid, then the raw commit rate on the same filesystem');
  const daemon = await startDaemon([]).ready();
  try {
    sqlite = await colibriWorkload(daemon);
  } finally {
    await daemon.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'colibri-bench-raw-'));
  try {
    sqliteRaw = rawSqliteRate(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`  ${sqlite.perSecond.toFixed(0)} lifecycles/s vs raw ${sqliteRaw.toFixed(0)} commits/s`);
}

// ---- PostgreSQL: colibrid, the raw rate, graphile-worker -----------------------------------
const postgres = ONLY_SQLITE
  ? undefined
  : await startTestPostgres({
      settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' },
    });
let pgColibri;
let pgRaw;
let graphile;
if (postgres !== undefined)
  try {
    log('postgres: colibrid');
    const url = await postgres.createDatabase('bench_colibri');
    const daemon = await startDaemon(['--database-url', url]).ready();
    try {
      pgColibri = await colibriWorkload(daemon, postgresProbe(postgres.url(), 'bench_colibri', TASKS));
    } finally {
      await daemon.stop();
    }
    log('postgres: raw commit rate');
    pgRaw = await rawPostgresRate(await postgres.createDatabase('bench_raw'));
    log('postgres: graphile-worker (worker in its own process)');
    const graphileUrl = await postgres.createDatabase('bench_graphile');
    const { makeWorkerUtils } = await import('graphile-worker');
    const utils = await makeWorkerUtils({ connectionString: graphileUrl });
    await utils.migrate();
    try {
      graphile = await peerWorkload(
        'graphile',
        graphileUrl,
        (id) => utils.addJob('bench', { id }),
        postgresProbe(postgres.url(), 'bench_graphile', TASKS),
      );
    } finally {
      await utils.release();
    }
    log(
      `  colibri ${pgColibri.perSecond.toFixed(0)}/s, raw ${pgRaw.toFixed(0)}/s, graphile-worker ${graphile.perSecond.toFixed(0)}/s (${(pgColibri.perSecond / graphile.perSecond).toFixed(2)}×); PostgreSQL backends' CPU per unit: colibri ${pgColibri.pgServerCpuMs.toFixed(2)} ms, graphile-worker ${graphile.pgServerCpuMs.toFixed(2)} ms; colibrid ${pgColibri.cpuMs.toFixed(2)} ms`,
    );
  } finally {
    await postgres.stop();
  }

// ---- BullMQ on Redis ------------------------------------------------------------------------
let bull;
let redisVersion;
const redis = ONLY_SQLITE || ONLY_POSTGRES ? undefined : await startRedis();
if (ONLY_SQLITE || ONLY_POSTGRES) {
  log(`bullmq: skipped (BENCH_ONLY=${process.env.BENCH_ONLY})`);
} else if (redis === undefined) {
  log('bullmq: skipped, redis-server is not installed (sh scripts/setup.sh --with-bench-tools)');
} else {
  redisVersion = redis.version;
  log('bullmq: worker in its own process');
  const { Queue } = await import('bullmq');
  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port: redis.port } });
  try {
    bull = await peerWorkload('bullmq', redis.port, (id) =>
      queue.add('bench', { id }, { removeOnComplete: true, removeOnFail: true }),
    );
  } finally {
    await queue.close();
    await redis.stop();
  }
  log(`  ${bull.perSecond.toFixed(0)}/s`);
}

const pct = (a, b) => `${((100 * a) / b).toFixed(1)}%`;
rows.push(
  sqlite === undefined
    ? '| colibri, SQLite | not run (BENCH_ONLY=postgres) | | | | | | | | |'
    : `| colibri, SQLite (WAL, synchronous=FULL, group commit) | ${fmt(sqlite.perSecond)} | ${fmt(sqliteRaw)} | ${pct(sqlite.perSecond, sqliteRaw)} | ${fmt(sqlite.p50, 2)} / ${fmt(sqlite.p99, 2)} ms | ${fmt(sqlite.loadedP99, 2)} ms | ${fmt(sqlite.commits, 2)} (mean group ${fmt(sqlite.writesPerCommit, 2)} writes) | — | ${fmt(sqlite.requests, 2)} | ${fmt(sqlite.cpuMs, 2)} ms |`,
);
if (!ONLY_SQLITE)
  rows.push(
    `| colibri, PostgreSQL 15 | ${fmt(pgColibri.perSecond)} | ${fmt(pgRaw)} | ${pct(pgColibri.perSecond, pgRaw)} | ${fmt(pgColibri.p50, 2)} / ${fmt(pgColibri.p99, 2)} ms | ${fmt(pgColibri.loadedP99, 2)} ms | ${fmt(pgColibri.commits, 2)} (${fmt(pgColibri.pgTransactions, 1)}) | ${fmt(pgColibri.pgStatements, 1)} | ${fmt(pgColibri.requests, 2)} | ${fmt(pgColibri.cpuMs, 2)} ms |`,
    `| graphile-worker 0.16.6, same PostgreSQL | ${fmt(graphile.perSecond)} | ${fmt(pgRaw)} | ${pct(graphile.perSecond, pgRaw)} | ${fmt(graphile.p50, 2)} / ${fmt(graphile.p99, 2)} ms | ${fmt(graphile.loadedP99, 2)} ms | (${fmt(graphile.pgTransactions, 1)}) | ${fmt(graphile.pgStatements, 1)} | — | — |`,
    ONLY_POSTGRES
      ? '| BullMQ 6.7.0 on redis-server | not run (BENCH_ONLY=postgres) | | | | | | | | |'
      : bull === undefined
        ? '| BullMQ 6.7.0 on redis-server | not run: redis-server not installed | | | | | | | | |'
        : `| BullMQ 6.7.0 on redis-server ${redisVersion} (loopback, no persistence) | ${fmt(bull.perSecond)} | — | — | ${fmt(bull.p50, 2)} / ${fmt(bull.p99, 2)} ms | ${fmt(bull.loadedP99, 2)} ms | — | — | — | — |`,
  );

const ratio = ONLY_SQLITE ? undefined : pgColibri.perSecond / graphile.perSecond;
process.stdout.write(
  `${[
    '## Daemon: task lifecycle on SQLite and PostgreSQL, next to the raw commit rate and peer queues',
    '',
    `\`pnpm bench @colibri/daemon\` (\`node apps/daemon/bench/lifecycle.bench.mjs\` after a build), every row in one run, ${new Date().toISOString().slice(0, 16)}Z on ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end. Workload: ${AGENTS} agents (one client each) long-poll colibrid over its Unix socket (\`wait=2\`, \`claim: 1\` as run-agent polls: the poll claims the task it returns, assigned → running in colibrid — in the intake's own transaction when the poll was already waiting — so no \`running\` report is sent) and report done; the operator intakes ${TASKS} tasks with ${IN_FLIGHT} requests in flight, timed until all are done (lifecycle = intake → assign → claiming poll (running) → done); then ${LATENCY_TASKS} tasks one at a time, from the intake request being sent to an agent's poll returning it (dispatch latency); then, for ${LOADED_SECONDS} s, intakes sent open-loop (each on its schedule, answered or not) at 75% of the lifecycles/s just measured, each timed the same way (dispatch p99 at 75% of capacity; issue 14's target ≤ 15 ms). The raw rate is single-row committed transactions of the same database in the same run: SQLite with the store's settings (WAL, synchronous=FULL, an fsync per commit) on the same filesystem; PostgreSQL one autocommit INSERT per round trip on the same server (the private test server runs with \`fsync=off\`, so its raw rate is round trips, not disk flushes). Commits per lifecycle: \`colibri_store_commits_total\` from colibrid's /metrics (in brackets, PostgreSQL's own \`xact_commit\` for the database, which also counts every autocommit read); statements: \`pg_stat_statements\` calls, BEGIN/COMMIT included (≈ round trips). CPU: colibrid's user + system time from /proc over the throughput phase.`,
    '',
    `graphile-worker and BullMQ run the same shape of work: ${TASKS} jobs added with ${IN_FLIGHT} in flight by this process, run by a worker in a separate process with ${AGENTS}-way concurrency, done = the queue recorded the job complete (graphile-worker's \`job:complete\`, BullMQ's \`completed\`); latency = add sent → the handler starts, and the same 75%-of-its-own-capacity phase. Per unit of work a peer does less: graphile-worker is one INSERT (add), one locking SELECT … FOR UPDATE SKIP LOCKED (get) and one DELETE (complete) with no network hop but PostgreSQL's; BullMQ is a few Lua scripts in Redis without persistence here. colibri does more per lifecycle: capability matching of each task against the online agents, HTTP long polls per agent, attempt tokens (fencing) checked on every report, an append-only event log row per state change, and a durable commit before every answer.`,
    '',
    '| setup | lifecycles/s | raw commits/s | ÷ raw | dispatch p50 / p99 | dispatch p99 at 75% of capacity | commits per lifecycle | PostgreSQL statements per lifecycle | HTTP requests per lifecycle | daemon CPU per lifecycle |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `${ratio === undefined ? 'PostgreSQL not run (BENCH_ONLY=sqlite); ' : `On PostgreSQL colibri did **${ratio.toFixed(2)}×** graphile-worker's units of work per second in this run (issue 14's target: ≥ 0.5× now, ≥ 1× the aim); `}${sqlite === undefined ? 'SQLite not run (BENCH_ONLY=postgres).' : `on SQLite a lifecycle ran at **${pct(sqlite.perSecond, sqliteRaw)}** of the raw commit rate (target ≥ 25%), ${fmt(sqlite.commits, 2)} commits per lifecycle (target ≤ 1), ${fmt(sqlite.writesPerCommit, 2)} writes per commit on average.`}`,
  ].join('\n')}\n`,
);
