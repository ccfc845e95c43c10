// CLI cold start, side by side in one run: `node -e 0` (the floor: Node itself) and colibri's
// commands as a user starts them (`colibri --help`, `--version`, `status --json` and `list-agents
// --json` against a real colibrid on SQLite in a temp home, next to a floor for those two: node
// sending one raw HTTP request to the same daemon). Runs are interleaved round-robin so machine
// noise hits every command alike; the table gives the median and p90 wall time and the ratio of
// medians to `node -e 0` (target: every command under 1.8×), and on Linux the mean CPU time
// (user + system, from this process's reaped-children counters in /proc/self/stat), which a loaded
// machine distorts far less than wall time. BENCH_COLD_RUNS=N (default 21). Markdown on stdout,
// progress on stderr.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const cliBin = join(here, '..', 'bin', 'run.js');
const daemonMain = join(
  dirname(createRequire(import.meta.url).resolve('@colibri/daemon/package.json')),
  'dist',
  'main.js',
);
const runs = Number(process.env.BENCH_COLD_RUNS ?? 21);
const TARGET = 1.8;

const home = mkdtempSync(join(tmpdir(), 'colibri-cold-'));
const env = { PATH: process.env.PATH, HOME: home, COLIBRI_HOME: home };
const daemon = spawn(process.execPath, [daemonMain, '--home', home, '--log-level', 'warn'], {
  stdio: 'ignore',
  env,
});
// The exit handler stops it; it must not keep this process alive once the table is written.
daemon.unref();
const stop = () => {
  daemon.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
};
process.on('exit', stop);
for (
  let i = 0;
  i < 300 && !(existsSync(join(home, 'colibri.sock')) && existsSync(join(home, 'operator.token')));
  i++
) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

// The floor for the daemon's commands: Node, node:http and one request, nothing of colibri.
const rawStatus = join(home, 'raw-status.cjs');
writeFileSync(
  rawStatus,
  `const http = require('node:http');
const token = require('node:fs').readFileSync(${JSON.stringify(join(home, 'operator.token'))}, 'utf8').trim();
http.get({ socketPath: ${JSON.stringify(join(home, 'colibri.sock'))}, path: '/v1/status', headers: { authorization: 'Bearer ' + token } }, (res) => {
  res.on('data', (chunk) => process.stdout.write(chunk));
});
`,
);

const commands = [
  { label: '`node -e 0`', argv: ['-e', '0'], floor: true },
  { label: 'node + one raw HTTP `GET /v1/status` (floor for the daemon commands)', argv: [rawStatus] },
  { label: '`colibri --help`', argv: [cliBin, '--help'] },
  { label: '`colibri --version`', argv: [cliBin, '--version'] },
  { label: '`colibri status --json`', argv: [cliBin, 'status', '--json'] },
  { label: '`colibri list-agents --json`', argv: [cliBin, 'list-agents', '--json'] },
  // A command the fast path leaves to oclif (manifest, lazy imports in the command).
  { label: '`colibri list-tasks --json` (oclif)', argv: [cliBin, 'list-tasks', '--json'] },
  // The same hot commands through oclif, as before the fast path: the side-by-side baseline.
  ...[['--help'], ['--version'], ['status', '--json'], ['list-agents', '--json']].map((args) => ({
    label: `\`colibri ${args.join(' ')}\` through oclif (COLIBRI_NO_FAST_PATH=1)`,
    argv: [cliBin, ...args],
    env: { COLIBRI_NO_FAST_PATH: '1' },
  })),
];

/** CPU time (ms, user + system) of this process's reaped children so far; undefined off Linux. */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name: index 13 = cutime, 14 = cstime, in USER_HZ (100) ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

function once(argv, extraEnv) {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (result.status !== 0) {
    throw new Error(`node ${argv.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  }
  return { ms, cpuMs: cpuBefore === undefined ? undefined : cpuAfter - cpuBefore };
}

// One warm-up round (the page cache), then the measured rounds.
for (const command of commands) once(command.argv, command.env);
const samples = new Map(commands.map((c) => [c, []]));
const load = [loadavg()[0]];
for (let round = 0; round < runs; round++) {
  for (const command of commands) samples.get(command).push(once(command.argv, command.env));
  if (round % 5 === 4) process.stderr.write(`cold start: ${round + 1}/${runs} rounds\n`);
}
load.push(loadavg()[0]);

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const wall = (command) => samples.get(command).map((sample) => sample.ms);
// Ticks are 10 ms: the mean over every run is what resolves a few milliseconds.
const meanCpu = (command) => {
  const values = samples.get(command).map((sample) => sample.cpuMs);
  return values.includes(undefined) ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
};
const floor = quantile(wall(commands[0]), 0.5);
const floorCpu = meanCpu(commands[0]);
const rows = commands.map((command) => {
  const median = quantile(wall(command), 0.5);
  const ratio = median / floor;
  const verdict = command.floor ? '—' : ratio <= TARGET ? 'yes' : 'no';
  const cpu = meanCpu(command);
  const cpuCells =
    cpu === undefined || floorCpu === undefined
      ? '— | —'
      : `${cpu.toFixed(1)} | ${(cpu / floorCpu).toFixed(2)}×`;
  return `| ${command.label} | ${median.toFixed(0)} | ${quantile(wall(command), 0.9).toFixed(0)} | ${ratio.toFixed(2)}× | ${verdict} | ${cpuCells} |`;
});

process.stdout.write(`## CLI cold start: colibri commands next to \`node -e 0\`

\`node apps/colibri/bench/cold-start.bench.mjs\` (in \`pnpm bench\`): each command started as a fresh
process ${runs} times, round-robin with \`node -e 0\` in the same run (one warm-up round first), against a
live colibrid on SQLite. Load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end. Target:
every command's median under ${TARGET}× \`node -e 0\`'s.

| command | median ms | p90 ms | ÷ \`node -e 0\` | under ${TARGET}× | mean CPU ms | CPU ÷ \`node -e 0\` |
|---|---:|---:|---:|:---:|---:|---:|
${rows.join('\n')}
`);
