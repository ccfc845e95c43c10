// Idle fleet benchmark (SQLite, colibrid's default timing: TTL 30 s, lease 60 s): N agents with no
// task (default 10,000; BENCH_IDLE_AGENTS) seeded into the store, then
//   1. every agent heartbeats every 10 s (run-agent's default) for BENCH_IDLE_SECONDS (default 30):
//      store commits per second (colibri_store_commits_total) against heartbeats answered per second;
//   2. every agent holds one long poll open (`wait=60`).
// colibrid's memory (VmRSS from /proc, V8 heap used from /metrics) side by side: an empty daemon (a
// home of its own, no agent), the same daemon binary with the N agents known and idle, and with
// every agent's poll waiting in it (target: < 200 MiB RSS).
// BENCH_IDLE_SECONDS=0 skips the heartbeat phase; BENCH_DAEMON_MAIN runs another build of colibrid
// (e.g. main's, for a before/after in one session); BENCH_DAEMON_NODE_ARGS adds node flags to it
// (e.g. `--heapsnapshot-signal=SIGUSR2`) and BENCH_IDLE_HOLD_MS keeps the polls open that long
// before measuring (to take a snapshot).
// Prints one Markdown section on stdout; progress on stderr.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@colibri/store';

const here = fileURLToPath(new URL('.', import.meta.url));
const daemonMain = process.env.BENCH_DAEMON_MAIN ?? join(here, '..', 'dist', 'main.js');
const daemonNodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const N = Number(process.env.BENCH_IDLE_AGENTS ?? 10_000);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const HOLD_MS = Number(process.env.BENCH_IDLE_HOLD_MS ?? 0);
const TARGET_MIB = 200;
const HEARTBEAT_MS = 10_000;
const loadAtStart = loadavg()[0];

const home = mkdtempSync(join(tmpdir(), 'colibri-bench-idle-'));
const socketPath = join(home, 'colibri.sock');

// Seeding through the store itself (one registration per transaction, as colibrid would do).
log(`seeding ${N} agents`);
const agents = [];
{
  const store = await openStore({ driver: 'sqlite', path: join(home, 'colibri.db') });
  for (let i = 0; i < N; i++) {
    const token = randomBytes(32).toString('base64url');
    const agent = await store.registerAgent({
      name: `idle-${i}`,
      capabilities: ['linux'],
      tokenHash: createHash('sha256').update(token, 'utf8').digest('hex'),
    });
    agents.push({ id: agent.id, token });
  }
  await store.close();
}

/** Starts colibrid on `home`; resolves once it answers, with its process and the operator token. */
async function startDaemon(home) {
  const child = spawn(
    process.execPath,
    [...daemonNodeArgs, daemonMain, '--home', home, '--log-level', 'warn'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const socket = join(home, 'colibri.sock');
  for (
    const deadline = Date.now() + 60_000;
    !existsSync(join(home, 'operator.token')) || !existsSync(socket);
  ) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('colibrid did not start');
    await sleep(50);
  }
  const token = readFileSync(join(home, 'operator.token'), 'utf8').trim();
  await call('GET', '/v1/status', token, 10_000, socket);
  return { child, token, socket };
}

function stopDaemon(child) {
  if (child.exitCode === null) child.kill('SIGTERM');
  return new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
}

// One keep-alive pool for the whole fleet (the bench's own memory is not what is measured).
const pool = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One request; a connect refused with EAGAIN (the socket's accept backlog is full) is tried again. */
async function call(method, path, token, timeoutMs = 120_000, socket = socketPath) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce(method, path, token, timeoutMs, socket);
    } catch (error) {
      if (error.code !== 'EAGAIN' || attempt >= 20) throw error;
      backlogRetries++;
      await sleep(50 * attempt);
    }
  }
}

let backlogRetries = 0;

function callOnce(method, path, token, timeoutMs, socket) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: socket, method, path, agent: pool, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text);
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const metric = (text, name) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(' ')[1] ?? Number.NaN,
  );

/** How long each state is left to settle (a garbage collection or two) before it is measured. */
const SETTLE_MS = 5000;

/**
 * colibrid's VmRSS (read first, before the scrape allocates), its V8 heap used and the heap V8
 * has committed for it (used + not yet collected or given back), in MiB.
 */
async function memoryOf(child, token, socket = socketPath) {
  const rss = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  const text = await call('GET', '/metrics', token, 30_000, socket);
  const heap = metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20;
  const heapTotal = metric(text, 'nodejs_heap_size_total_bytes') / 2 ** 20;
  return { rss, heap, heapTotal };
}

// ---- 0. an empty daemon: the base everything else adds to ---------------------------------------
const emptyHome = mkdtempSync(join(tmpdir(), 'colibri-bench-empty-'));
let memEmpty;
try {
  log('empty daemon');
  const empty = await startDaemon(emptyHome);
  await sleep(SETTLE_MS);
  memEmpty = await memoryOf(empty.child, empty.token, empty.socket);
  await stopDaemon(empty.child);
} finally {
  rmSync(emptyHome, { recursive: true, force: true });
}

const { child: daemon, token: operator } = await startDaemon(home);

let out;
try {
  await sleep(SETTLE_MS);
  if (HOLD_MS > 0) {
    log(`  holding idle ${HOLD_MS} ms (pid ${daemon.pid})`);
    await sleep(HOLD_MS);
  }
  const memIdle = await memoryOf(daemon, operator);
  log(`  empty: RSS ${memEmpty.rss.toFixed(0)} MiB; ${N} agents known: RSS ${memIdle.rss.toFixed(0)} MiB`);

  // ---- 1. heartbeats ------------------------------------------------------------------------
  let beatsPerSecond = Number.NaN;
  let commitsPerSecond = Number.NaN;
  let failed = 0;
  let offlineAfter = Number.NaN;
  if (SECONDS > 0) {
    log(`heartbeats: ${N} agents every ${HEARTBEAT_MS / 1000} s for ${SECONDS} s`);
    let answered = 0;
    let stop = false;
    const beat = async (agent, offset) => {
      await sleep(offset);
      while (!stop) {
        const sent = Date.now();
        try {
          await call('POST', `/v1/agents/${agent.id}/heartbeat`, agent.token);
          answered++;
        } catch {
          failed++;
        }
        await sleep(Math.max(0, HEARTBEAT_MS - (Date.now() - sent)));
      }
    };
    // Spread over the first interval, as a fleet started at different times would be.
    const loops = agents.map((agent, i) => beat(agent, (i / N) * HEARTBEAT_MS));
    await sleep(HEARTBEAT_MS); // every agent has started beating
    const before = {
      commits: metric(await call('GET', '/metrics', operator), 'colibri_store_commits_total'),
      answered,
    };
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const after = {
      commits: metric(await call('GET', '/metrics', operator), 'colibri_store_commits_total'),
      answered,
    };
    stop = true;
    await Promise.all(loops);
    commitsPerSecond = (after.commits - before.commits) / seconds;
    beatsPerSecond = (after.answered - before.answered) / seconds;
    log(
      `  ${beatsPerSecond.toFixed(0)} heartbeats/s, ${commitsPerSecond.toFixed(1)} commits/s, ${failed} failed`,
    );
    offlineAfter = JSON.parse(await call('GET', '/v1/agents?status=offline', operator)).agents.length;
    await sleep(6000); // keep-alive connections of the heartbeat phase closed by the server
  }

  // ---- 2. long polls ------------------------------------------------------------------------
  log(`long polls: ${N} agents each hold one open`);
  const memBefore = await memoryOf(daemon, operator);
  let polling = true;
  // Opened in waves of 250 per 250 ms: 10,000 connects at once overflow the socket's accept backlog.
  const polls = agents.map(async (agent, i) => {
    await sleep(Math.floor(i / 250) * 250);
    while (polling) {
      try {
        await call('POST', `/v1/agents/${agent.id}/poll?wait=60`, agent.token, 90_000);
      } catch {
        if (polling) await sleep(100);
      }
    }
  });
  let waiting = 0;
  for (const deadline = Date.now() + 180_000; waiting < N && Date.now() < deadline; ) {
    await sleep(1000);
    try {
      waiting = metric(await call('GET', '/metrics', operator), 'colibri_long_polls_waiting');
    } catch {
      // The backlog was full even after the retries: look again in a second.
    }
  }
  await sleep(SETTLE_MS);
  if (HOLD_MS > 0) {
    log(`  holding the polls open ${HOLD_MS} ms (pid ${daemon.pid})`);
    await sleep(HOLD_MS);
  }
  const memPolls = await memoryOf(daemon, operator);
  log(`  ${waiting} polls waiting: RSS ${memBefore.rss.toFixed(0)} -> ${memPolls.rss.toFixed(0)} MiB`);
  polling = false;
  daemon.kill('SIGTERM');
  await Promise.allSettled(polls);

  const mib = (x) => `${x.toFixed(0)} MiB`;
  const perPoll = (key) =>
    `${(((memPolls[key] - memBefore[key]) * 1024) / Math.max(1, waiting)).toFixed(1)} KiB`;
  out = [
    '## Daemon: an idle fleet — heartbeat commits and memory with long polls (SQLite)',
    '',
    `\`node apps/daemon/bench/idle-agents.bench.mjs\` (in \`pnpm bench @colibri/daemon\`), ${new Date().toISOString().slice(0, 16)}Z on ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end. ${N.toLocaleString('en')} agents holding no task, seeded through the store; colibrid on SQLite with its default timing (TTL 30 s, lease 60 s). Heartbeats: each agent sends one every ${HEARTBEAT_MS / 1000} s (run-agent's default), spread over the interval, measured over ${SECONDS} s after the first interval; one bench process sends them all, so under load it may not reach the nominal ${(N / (HEARTBEAT_MS / 1000)).toFixed(0)} per second: the answered rate is given beside. Memory: colibrid's VmRSS (/proc) and V8 heap used (\`nodejs_heap_size_used_bytes\` from /metrics), for an empty daemon (its own home, no agent), the ${N.toLocaleString('en')} agents known and idle (just started, and again after the heartbeats), and every agent holding one \`wait=60\` poll open (each a real HTTP request waiting in colibrid, one connection each; opened 250 per 250 ms); each state measured after ${SETTLE_MS / 1000} s of rest.`,
    '',
    '| measure | value | target |',
    '|---|---:|---:|',
    `| heartbeats answered per second | ${beatsPerSecond.toFixed(0)} | (${(N / (HEARTBEAT_MS / 1000)).toFixed(0)} nominal) |`,
    `| store commits per second during them | ${commitsPerSecond.toFixed(1)} | ≤ 50 |`,
    `| commits per heartbeat | ${(commitsPerSecond / Math.max(1, beatsPerSecond)).toFixed(4)} | (was 1) |`,
    `| heartbeats refused or failed | ${failed} | 0 |`,
    `| connects retried (EAGAIN: the socket's accept backlog was full) | ${backlogRetries} | |`,
    `| agents offline after the heartbeat phase | ${offlineAfter} | 0 |`,
    '',
    `| colibrid memory | empty daemon | ${N.toLocaleString('en')} agents known | after the heartbeats | ${waiting.toLocaleString('en')} long polls waiting | per waiting poll | target |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    `| RSS | ${mib(memEmpty.rss)} | ${mib(memIdle.rss)} | ${mib(memBefore.rss)} | ${mib(memPolls.rss)} | ${perPoll('rss')} | < ${TARGET_MIB} MiB with the polls |`,
    `| V8 heap used | ${mib(memEmpty.heap)} | ${mib(memIdle.heap)} | ${mib(memBefore.heap)} | ${mib(memPolls.heap)} | ${perPoll('heap')} | |`,
    `| V8 heap committed | ${mib(memEmpty.heapTotal)} | ${mib(memIdle.heapTotal)} | ${mib(memBefore.heapTotal)} | ${mib(memPolls.heapTotal)} | ${perPoll('heapTotal')} | |`,
  ].join('\n');
} finally {
  if (daemon.exitCode === null) daemon.kill('SIGTERM');
  await new Promise((resolve) => (daemon.exitCode === null ? daemon.once('exit', resolve) : resolve()));
  pool.destroy();
  rmSync(home, { recursive: true, force: true });
}
process.stdout.write(`${out}\n`);
