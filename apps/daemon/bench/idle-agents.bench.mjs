// Idle fleet benchmark (SQLite, colibrid's default timing: TTL 30 s, lease 60 s): N agents with no
// task (default 10,000; BENCH_IDLE_AGENTS) seeded into the store, then
//   1. every agent heartbeats every 10 s (run-agent's default) for BENCH_IDLE_SECONDS (default 30):
//      store commits per second (colibri_store_commits_total) against heartbeats answered per second;
//   2. every agent holds one long poll open (`wait=60`): colibrid's RSS before and with all N waiting.
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
const daemonMain = join(here, '..', 'dist', 'main.js');
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const N = Number(process.env.BENCH_IDLE_AGENTS ?? 10_000);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
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

const daemon = spawn(process.execPath, [daemonMain, '--home', home, '--log-level', 'warn'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
// One keep-alive pool for the whole fleet (the bench's own memory is not what is measured).
const pool = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One request; a connect refused with EAGAIN (the socket's accept backlog is full) is tried again. */
async function call(method, path, token, timeoutMs = 120_000) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce(method, path, token, timeoutMs);
    } catch (error) {
      if (error.code !== 'EAGAIN' || attempt >= 20) throw error;
      backlogRetries++;
      await sleep(50 * attempt);
    }
  }
}

let backlogRetries = 0;

function callOnce(method, path, token, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method, path, agent: pool, headers: { authorization: `Bearer ${token}` } },
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

const rssMiB = () =>
  Number(readFileSync(`/proc/${daemon.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const metric = (text, name) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(' ')[1] ?? Number.NaN,
  );

let out;
try {
  for (
    const deadline = Date.now() + 60_000;
    !existsSync(join(home, 'operator.token')) || !existsSync(socketPath);
  ) {
    if (Date.now() > deadline) throw new Error('colibrid did not start');
    await sleep(50);
  }
  const operator = readFileSync(join(home, 'operator.token'), 'utf8').trim();
  await call('GET', '/v1/status', operator);
  await sleep(1000);
  const rssIdle = rssMiB();

  // ---- 1. heartbeats ------------------------------------------------------------------------
  log(`heartbeats: ${N} agents every ${HEARTBEAT_MS / 1000} s for ${SECONDS} s`);
  let answered = 0;
  let failed = 0;
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
  const commitsPerSecond = (after.commits - before.commits) / seconds;
  const beatsPerSecond = (after.answered - before.answered) / seconds;
  log(
    `  ${beatsPerSecond.toFixed(0)} heartbeats/s, ${commitsPerSecond.toFixed(1)} commits/s, ${failed} failed`,
  );
  const statusText = JSON.parse(await call('GET', '/v1/agents?status=offline', operator));

  // ---- 2. long polls ------------------------------------------------------------------------
  log(`long polls: ${N} agents each hold one open`);
  await sleep(6000); // keep-alive connections of the heartbeat phase closed by the server
  const rssBefore = rssMiB();
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
  const rssPolls = rssMiB();
  log(`  ${waiting} polls waiting: RSS ${rssBefore.toFixed(0)} -> ${rssPolls.toFixed(0)} MiB`);
  polling = false;
  daemon.kill('SIGTERM');
  await Promise.allSettled(polls);

  out = [
    '## Daemon: an idle fleet — heartbeat commits and RSS with long polls (SQLite)',
    '',
    `\`node apps/daemon/bench/idle-agents.bench.mjs\` (in \`pnpm bench @colibri/daemon\`), ${new Date().toISOString().slice(0, 16)}Z on ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end. ${N.toLocaleString('en')} agents holding no task, seeded through the store; colibrid on SQLite with its default timing (TTL 30 s, lease 60 s). Heartbeats: each agent sends one every ${HEARTBEAT_MS / 1000} s (run-agent's default), spread over the interval, measured over ${SECONDS} s after the first interval; one bench process sends them all, so under load it may not reach the nominal ${(N / (HEARTBEAT_MS / 1000)).toFixed(0)} per second: the answered rate is given beside. Long polls: every agent holds one \`wait=60\` poll open; RSS is colibrid's VmRSS.`,
    '',
    '| measure | value | target |',
    '|---|---:|---:|',
    `| heartbeats answered per second | ${beatsPerSecond.toFixed(0)} | (${(N / (HEARTBEAT_MS / 1000)).toFixed(0)} nominal) |`,
    `| store commits per second during them | ${commitsPerSecond.toFixed(1)} | ≤ 50 |`,
    `| commits per heartbeat | ${(commitsPerSecond / Math.max(1, beatsPerSecond)).toFixed(4)} | (was 1) |`,
    `| heartbeats refused or failed | ${failed} | 0 |`,
    `| connects retried (EAGAIN: the socket's accept backlog was full) | ${backlogRetries} | |`,
    `| agents offline after the heartbeat phase | ${JSON.parse(JSON.stringify(statusText)).agents.length} | 0 |`,
    `| colibrid RSS, ${N.toLocaleString('en')} agents known, idle | ${rssIdle.toFixed(0)} MiB | |`,
    `| colibrid RSS before the long polls | ${rssBefore.toFixed(0)} MiB | |`,
    `| colibrid RSS with ${waiting.toLocaleString('en')} long polls waiting | ${rssPolls.toFixed(0)} MiB | < 200 MiB |`,
    `| per waiting long poll | ${(((rssPolls - rssBefore) * 1024) / Math.max(1, waiting)).toFixed(1)} KiB | |`,
  ].join('\n');
} finally {
  if (daemon.exitCode === null) daemon.kill('SIGTERM');
  await new Promise((resolve) => (daemon.exitCode === null ? daemon.once('exit', resolve) : resolve()));
  pool.destroy();
  rmSync(home, { recursive: true, force: true });
}
process.stdout.write(`${out}\n`);
