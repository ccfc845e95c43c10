// "Join the hive" benchmark, as root with the linux jail driver: a real colibrid (SQLite) in a
// temp home, N tenants registered, each with a directory-source .env; then, one after another,
// `colibri spawn-agent <t>-agent --jail --tenant <t> --json` for every tenant (real bwrap sandboxes
// as dedicated uids, keepers, per-jail sockets, this workspace as the runtime), the same N again
// (the idempotent rerun: every step skipped), and `colibri destroy-agent` for each. Per-step
// durations come from each command's JSON report; wall times are the CLI processes seen from here
// (monotonic clock). While all N agents run, the memory of each keeper and its sandbox is sampled
// from /proc. BENCH_SPAWN_COUNT=N (default 10). Run after building the CLI and colibrid
// (`pnpm --filter @colibri/cli... run build`). Markdown on stdout, progress on stderr. Everything
// it made is torn down even on failure or Ctrl-C.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESTROY_STEPS, SPAWN_STEPS } from '@colibri/join';
import { createLinuxDriver } from '@colibri/spawner';

const log = (line) => process.stderr.write(`${line}\n`);
const here = fileURLToPath(new URL('.', import.meta.url));
const cliBin = join(here, '..', 'bin', 'run.js');
const daemonMain = join(
  dirname(createRequire(import.meta.url).resolve('@colibri/daemon/package.json')),
  'dist',
  'main.js',
);
/** A failure guard per CLI run (a spawn waits up to 60 s for registration by default). */
const RUN_TIMEOUT_MS = 180_000;
/** Where the linux driver claims uids, host-wide (the driver's default; not exported). */
const UID_CLAIM_DIR = '/var/lib/colibri/uid-claims';

function refuse(message) {
  log(`spawn benchmark: ${message}`);
  // 77: refused, as the CLI's exit codes say for a missing permission.
  process.exit(77);
}

function onPath(file) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, file), constants.X_OK);
      return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

function parseCount(text) {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 200) {
    log(`BENCH_SPAWN_COUNT must be a whole number of agents from 1 to 200, e.g. 10 (got ${text})`);
    process.exit(2);
  }
  return count;
}

if (process.platform !== 'linux') refuse('needs Linux (the linux jail driver); nothing was done');
if (process.getuid?.() !== 0)
  refuse('must run as root: spawn-agent --jail creates jail users and sandboxes; nothing was done');
for (const tool of ['bwrap', 'prlimit', 'setpriv']) {
  if (!onPath(tool))
    refuse(`${tool} is not on PATH (apt-get install -y bubblewrap util-linux); nothing was done`);
}
for (const [what, path] of [
  ['the CLI', join(here, '..', 'dist', 'commands', 'spawn-agent.js')],
  ['colibrid', daemonMain],
]) {
  if (!existsSync(path))
    refuse(`${what} is not built (${path} missing): run \`pnpm --filter @colibri/cli... run build\``);
}

const COUNT = parseCount(process.env.BENCH_SPAWN_COUNT ?? '10');
const tenants = Array.from({ length: COUNT }, (_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
const agentOf = (tenant) => `${tenant}-agent`;

// ---------------------------------------------------------------------------------------------
// Numbers

/** Nearest-rank percentile of an ascending array (p95 of 10 values is the maximum). */
const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const ascending = (values) => [...values].sort((a, b) => a - b);
const sum = (values) => values.reduce((total, value) => total + value, 0);
const ms = (value) => (value >= 100 ? Math.round(value).toString() : value.toFixed(1));
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------
// Processes and /proc

/** The CLI process running now, if any: a Ctrl-C stops it before cleaning up behind it. */
let current;
/** Set on SIGINT/SIGTERM: no new command starts. */
let interrupted = false;

function run(args, env) {
  return new Promise((resolve) => {
    const started = performance.now();
    current = execFile(
      process.execPath,
      [cliBin, ...args],
      { env, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        current = undefined;
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr, wallMs: performance.now() - started });
      },
    );
  });
}

/** A `--json` CLI run that must succeed: its parsed report and its wall time. */
async function runJson(args, env) {
  if (interrupted) throw new Error('interrupted');
  const result = await run([...args, '--json'], env);
  if (result.status !== 0) {
    throw new Error(
      `colibri ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`.trimEnd(),
    );
  }
  return { report: JSON.parse(result.stdout), wallMs: result.wallMs };
}

async function readStatusField(pid, field) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const value = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1];
  return value === undefined ? 0 : Number(value);
}

/**
 * From smaps_rollup (kB): PSS (proportional: pages shared with other processes, such as the node
 * binary, split between their users) and USS (private pages only: what this process alone costs).
 */
async function readSmaps(pid) {
  try {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
    return { pssKb: field('Pss'), ussKb: field('Private_Clean') + field('Private_Dirty') };
  } catch {
    return { pssKb: 0, ussKb: 0 };
  }
}

async function readCmdline(pid) {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((part) => part !== '');
  } catch {
    return [];
  }
}

async function childrenOf(pid) {
  const children = [];
  let tasks = [];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    try {
      const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8');
      for (const child of text.trim().split(/\s+/)) if (/^\d+$/.test(child)) children.push(Number(child));
    } catch {
      // The thread ended while we looked.
    }
  }
  return children;
}

async function descendantsOf(pid) {
  const found = [];
  const queue = await childrenOf(pid);
  while (queue.length > 0) {
    const next = queue.shift();
    found.push(next);
    queue.push(...(await childrenOf(next)));
  }
  return found;
}

async function keeperPidOf(jailRoot, jail) {
  try {
    const pid = Number((await readFile(join(jailRoot, jail, 'run', 'keeper.pid'), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One jail's processes while its agent runs: the keeper (node), the sandbox's bwrap processes
 * (prlimit and setpriv exec into bwrap, so they are the same pid) and the agent (node run-agent),
 * each with its RSS (VmRSS) and PSS.
 */
async function sampleJail(jailRoot, jail) {
  const keeper = await keeperPidOf(jailRoot, jail);
  if (keeper === undefined) throw new Error(`jail ${jail} has no run/keeper.pid: its agent is not running`);
  const processes = [];
  for (const pid of [keeper, ...(await descendantsOf(keeper))]) {
    const argv = await readCmdline(pid);
    // bwrap's own argv ends with the agent's command line: tell them apart by the executable.
    const role =
      pid === keeper
        ? 'keeper'
        : argv[0]?.endsWith('/bwrap')
          ? 'bwrap'
          : argv.includes('run-agent')
            ? 'agent'
            : 'other';
    processes.push({ pid, role, rssKb: await readStatusField(pid, 'VmRSS'), ...(await readSmaps(pid)) });
  }
  if (!processes.some((p) => p.role === 'agent'))
    throw new Error(`jail ${jail}: no run-agent process under keeper ${keeper}`);
  return processes;
}

/** The `at` of the first JSON line in `path` for which `match` holds, in ms since the epoch. */
async function firstAt(path, match) {
  for (const line of (await readFile(path, 'utf8').catch(() => '')).split('\n')) {
    try {
      const event = JSON.parse(line);
      if (match(event)) return Date.parse(event.at);
    } catch {
      // Not a JSON line.
    }
  }
  return undefined;
}

/**
 * Where the agent's start went, from the jail's own logs (wall-clock stamps a few ms apart, fine
 * unless the clock jumps in between): the keeper's `sandbox spawned` → the agent's first line
 * (`starting`: node, the CLI, the .env and the capability probe, inside the sandbox) → its
 * `registered` line (the join over the per-jail socket).
 */
async function agentStartTimings(jailRoot, jail) {
  const run = join(jailRoot, jail, 'run');
  const spawned = await firstAt(join(run, 'keeper.log'), (e) => e.message === 'sandbox spawned');
  const starting = await firstAt(join(run, 'agent.log'), (e) => e.type === 'starting');
  const registered = await firstAt(join(run, 'agent.log'), (e) => e.type === 'registered');
  if (spawned === undefined || starting === undefined || registered === undefined)
    throw new Error(
      `jail ${jail}: its keeper.log/agent.log lack the sandbox spawned/starting/registered lines`,
    );
  return { bootMs: starting - spawned, joinMs: registered - starting };
}

// ---------------------------------------------------------------------------------------------
// The hive: colibrid in a temp home, a temp jail root, the secrets directory

const base = await mkdtemp(join(tmpdir(), 'colibri-spawn-bench-'));
// Jail users must traverse down to their homes (bwrap binds them as the jail uid).
await chmod(base, 0o755);
const home = join(base, 'home');
const jailRoot = join(base, 'jails');
const secretsDir = join(base, 'secrets');
let daemon;
let daemonOutput = '';
let cleaning;

/** Tears down everything this run made, at most once: agents and jails, colibrid, the temp dir. */
function cleanup() {
  cleaning ??= (async () => {
    if (existsSync(jailRoot)) {
      const driver = createLinuxDriver({ jailRoot });
      const jails = (await readdir(jailRoot).catch(() => [])).filter((name) => !name.startsWith('.'));
      for (const jail of jails) {
        try {
          await driver.destroy(jail);
        } catch (error) {
          log(`cleanup: destroying jail ${jail} failed (${error.message}); killing its keeper`);
          const keeper = await keeperPidOf(jailRoot, jail);
          // A SIGKILLed keeper takes its sandbox with it (bwrap --die-with-parent).
          if (keeper !== undefined) {
            try {
              process.kill(keeper, 'SIGKILL');
            } catch {
              // Already gone.
            }
          }
        }
      }
      // Uid claims are host-wide: release any that still name one of this run's jails.
      for (const claim of await readdir(UID_CLAIM_DIR).catch(() => [])) {
        const path = join(UID_CLAIM_DIR, claim);
        const owner = (await readFile(path, 'utf8').catch(() => '')).trim();
        if (owner.startsWith(`${jailRoot}/`)) await rm(path, { force: true });
      }
    }
    if (daemon !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(base, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    log(`spawn benchmark: ${signal}: stopping the running command, then cleaning up…`);
    // The CLI rolls back what it did on SIGTERM; cleaning up alongside it would race it.
    const child = current;
    const stopped =
      child === undefined || child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
          });
    stopped.then(cleanup).finally(() => process.exit(130));
  });
}

async function startDaemon() {
  await mkdir(home, { mode: 0o700 });
  daemon = spawn(process.execPath, [daemonMain, '--home', home, '--log-level', 'warn'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [daemon.stdout, daemon.stderr])
    stream.on('data', (chunk) => {
      daemonOutput = (daemonOutput + chunk.toString()).slice(-8_000);
    });
  const until = performance.now() + 20_000;
  while (!(existsSync(join(home, 'colibri.sock')) && existsSync(join(home, 'operator.token')))) {
    if (daemon.exitCode !== null || daemon.signalCode !== null)
      throw new Error(`colibrid exited before it was ready:\n${daemonOutput}`);
    if (performance.now() > until) throw new Error(`colibrid not ready within 20 s:\n${daemonOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const cliEnv = () => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? tmpdir(),
  COLIBRI_HOME: home,
});

// ---------------------------------------------------------------------------------------------
// The measurement

const spawnArgs = (tenant) => [
  'spawn-agent',
  agentOf(tenant),
  '--jail',
  '--tenant',
  tenant,
  '--jail-root',
  jailRoot,
  '--source',
  'directory',
  '--secrets-dir',
  secretsDir,
];

let results;
const loadAtStart = loadavg()[0];
try {
  await mkdir(secretsDir, { mode: 0o700 });
  for (const tenant of tenants) {
    const key = tenant.toUpperCase().replaceAll('-', '_');
    await writeFile(join(secretsDir, `${tenant}.env`), `${key}_API_KEY='bench-secret-${tenant}'\n`, {
      mode: 0o600,
    });
  }
  await startDaemon();
  log(`spawn benchmark: colibrid up in ${home}; registering ${COUNT} tenant(s)…`);
  for (const tenant of tenants) await runJson(['register-tenant', tenant], cliEnv());

  const spawns = [];
  const spawnStarted = performance.now();
  for (const tenant of tenants) {
    const { report, wallMs } = await runJson(spawnArgs(tenant), cliEnv());
    if (report.outcome !== 'spawned')
      throw new Error(`spawn of ${agentOf(tenant)}: outcome ${report.outcome}`);
    spawns.push({ report, wallMs });
    log(`  spawned ${agentOf(tenant)} in ${ms(wallMs)} ms`);
  }
  const spawnTotalMs = performance.now() - spawnStarted;

  // Every agent runs now: sample its processes (once, all N up).
  const samples = [];
  const starts = [];
  for (const tenant of tenants) {
    samples.push(await sampleJail(jailRoot, tenant));
    starts.push(await agentStartTimings(jailRoot, tenant));
  }
  const daemonRssKb = await readStatusField(daemon.pid, 'VmRSS');
  log(`  sampled ${samples.flat().length} processes of ${COUNT} jail(s)`);

  const reruns = [];
  const rerunStarted = performance.now();
  for (const tenant of tenants) {
    const { report, wallMs } = await runJson(spawnArgs(tenant), cliEnv());
    if (report.outcome !== 'already-healthy')
      throw new Error(`rerun of ${agentOf(tenant)}: outcome ${report.outcome}, expected already-healthy`);
    reruns.push({ report, wallMs });
  }
  const rerunTotalMs = performance.now() - rerunStarted;
  log(`  rerun of ${COUNT} healthy agent(s) in ${ms(rerunTotalMs)} ms`);

  const destroys = [];
  const destroyStarted = performance.now();
  for (const tenant of tenants) {
    const { report, wallMs } = await runJson(
      ['destroy-agent', agentOf(tenant), '--tenant', tenant, '--jail-root', jailRoot],
      cliEnv(),
    );
    if (report.outcome !== 'destroyed')
      throw new Error(`destroy of ${agentOf(tenant)}: outcome ${report.outcome}`);
    destroys.push({ report, wallMs });
  }
  const destroyTotalMs = performance.now() - destroyStarted;
  log(`  destroyed ${COUNT} agent(s) in ${ms(destroyTotalMs)} ms`);
  const leftOver = (await readdir(jailRoot)).filter((name) => !name.startsWith('.'));
  if (leftOver.length > 0) throw new Error(`jails left after destroy-agent: ${leftOver.join(', ')}`);

  results = {
    spawns,
    spawnTotalMs,
    samples,
    starts,
    daemonRssKb,
    reruns,
    rerunTotalMs,
    destroys,
    destroyTotalMs,
  };
} catch (error) {
  if (interrupted) {
    log('spawn benchmark interrupted: no results');
  } else {
    log(`spawn benchmark failed: ${error.stack ?? error.message}`);
    if (daemonOutput !== '') log(`colibrid's last output:\n${daemonOutput}`);
  }
  process.exitCode = 1;
} finally {
  // On a signal the handler cleans up once the running command has stopped.
  if (!interrupted) await cleanup();
}
if (results === undefined) {
  // Interrupted: the signal handler exits once everything is cleaned up.
  if (interrupted) await new Promise(() => {});
  process.exit(process.exitCode ?? 1);
}

// ---------------------------------------------------------------------------------------------
// The report

const { spawns, spawnTotalMs, samples, starts, daemonRssKb, reruns, rerunTotalMs, destroys, destroyTotalMs } =
  results;

function row(label, values) {
  const sorted = ascending(values);
  return `| ${label} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 95))} | ${ms(sorted.at(-1))} |`;
}
const stepValues = (runs, step) =>
  runs.map(({ report }) => report.steps.find((s) => s.step === step)?.durationMs ?? 0);
const stepsTotal = ({ report }) => sum(report.steps.map((s) => s.durationMs));

const spawnRows = [
  ...SPAWN_STEPS.map((step) => row(step, stepValues(spawns, step))),
  row(
    '↳ agent boot in the sandbox: keeper spawns it → its `starting` line (logs)',
    starts.map((t) => t.bootMs),
  ),
  row(
    '↳ agent join: `starting` → `registered` line (logs)',
    starts.map((t) => t.joinMs),
  ),
  row('**all steps** (sum per spawn)', spawns.map(stepsTotal)),
  row(
    'CLI start + config + client (wall − steps)',
    spawns.map((s) => s.wallMs - stepsTotal(s)),
  ),
  row(
    '**`spawn-agent` wall** (process start → exit)',
    spawns.map((s) => s.wallMs),
  ),
];
const destroyRows = [
  ...DESTROY_STEPS.map((step) => row(step, stepValues(destroys, step))),
  row(
    'CLI start + config + client (wall − steps)',
    destroys.map((s) => s.wallMs - stepsTotal(s)),
  ),
  row(
    '**`destroy-agent` wall**',
    destroys.map((s) => s.wallMs),
  ),
];

const byRole = (role, field = 'rssKb') =>
  samples.map((jail) => sum(jail.filter((p) => p.role === role).map((p) => p[field])));
const perJail = (field) => samples.map((jail) => sum(jail.map((p) => p[field])));
function memRow(label, kbs) {
  const sorted = ascending(kbs);
  return `| ${label} | ${mib(percentile(sorted, 50))} | ${mib(sorted.at(-1))} | ${mib(sum(kbs))} |`;
}
const bwrapCount = samples[0].filter((p) => p.role === 'bwrap').length;

const lines = [
  '## Join the hive: `spawn-agent` / `destroy-agent` with the linux driver',
  '',
  `Workload: a real colibrid (SQLite) in a temp home; ${COUNT} tenants registered, each with a directory-source ` +
    '`.env` (one variable); then, one after another, `colibri spawn-agent <t>-agent --jail --tenant <t> ' +
    '--source directory --json` (linux driver: a dedicated uid, a keeper, a bwrap sandbox with no network, this ' +
    'workspace bound read-only as the runtime), the same commands again on the healthy agents (idempotent ' +
    'rerun), then `colibri destroy-agent` for each. Step durations are from the JSON reports; wall times are the ' +
    'CLI processes as the benchmark saw them. Memory is sampled once, with all agents running and idle ' +
    '(registered, heartbeating, long-polling), from /proc: RSS (VmRSS) counts shared pages (the node binary, ' +
    'libraries) in every process; PSS splits shared pages between every process using them (so it also depends on the ' +
    'other node processes on the host); USS counts private pages only: what one more agent costs at the least. ' +
    `Node ${process.version}; ` +
    `percentiles are nearest-rank over ${COUNT} runs${COUNT < 20 ? ' (p95 is the maximum)' : ''}.`,
  '',
  `Spawn, ${COUNT} agents one after another: **${(spawnTotalMs / 1000).toFixed(1)} s** in all ` +
    `(${ms(spawnTotalMs / COUNT)} ms per agent).`,
  '',
  '| spawn step (ms) | p50 | p95 | max |',
  '|---|---:|---:|---:|',
  ...spawnRows,
  '',
  `Idempotent rerun on ${COUNT} healthy agents (every step skipped): **${(rerunTotalMs / 1000).toFixed(1)} s** in all; ` +
    `per run p50 ${ms(percentile(ascending(reruns.map((r) => r.wallMs)), 50))} ms, ` +
    `max ${ms(Math.max(...reruns.map((r) => r.wallMs)))} ms ` +
    `(checks: p50 ${ms(percentile(ascending(reruns.map(stepsTotal)), 50))} ms of it).`,
  '',
  `Destroy, ${COUNT} agents one after another: ${(destroyTotalMs / 1000).toFixed(1)} s in all.`,
  '',
  '| destroy step (ms) | p50 | p95 | max |',
  '|---|---:|---:|---:|',
  ...destroyRows,
  '',
  `| memory per jail (${COUNT} agents running) | p50 | max | total for ${COUNT} |`,
  '|---|---:|---:|---:|',
  memRow('keeper RSS (node)', byRole('keeper')),
  memRow('agent RSS (node run-agent)', byRole('agent')),
  memRow(`bwrap RSS (${bwrapCount} processes)`, byRole('bwrap')),
  memRow('jail RSS (keeper + bwrap + agent)', perJail('rssKb')),
  memRow('**jail PSS** (keeper + bwrap + agent)', perJail('pssKb')),
  memRow('keeper USS', byRole('keeper', 'ussKb')),
  memRow('agent USS', byRole('agent', 'ussKb')),
  memRow(`bwrap USS (${bwrapCount} processes)`, byRole('bwrap', 'ussKb')),
  memRow('**jail USS**, private pages only (keeper + bwrap + agent)', perJail('ussKb')),
  '',
  `colibrid's RSS with ${COUNT} agents registered: ${mib(daemonRssKb)}. Machine load (1-minute load average, ` +
    `${cpus().length} cores): ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end.`,
];
process.stdout.write(`${lines.join('\n')}\n`);
