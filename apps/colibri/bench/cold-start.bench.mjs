// CLI cold start, side by side in one run: `node -e 0` (the floor: Node itself) and a representative
// set of colibri's commands as a user starts them, against a real colibrid on SQLite in a temp
// home: the fast path's (`--help`, `--version`, `status --json`), the daemon's commands through
// the bundled oclif (list-tasks, list-agents, intake-task, show-task, cancel-task, retry-task on the
// task that round's intake made, an unknown command, a parse error) and `mcp` answering one
// `initialize` on stdin; next to a floor for the daemon commands (node sending one raw HTTP request
// to the same daemon) and the baseline: the same commands through oclif as it ran before the bundle
// (@oclif/core from node_modules, commands found in dist/commands, both plugins loaded).
// Runs are interleaved round-robin so machine noise hits every command alike; the table gives the
// median and p90 wall time and the ratio of medians to `node -e 0` (target: every command under
// 1.8×), and on Linux the mean CPU time (user + system, from this process's reaped-children
// counters in /proc/self/stat), which a loaded machine distorts far less than wall time.
// BENCH_COLD_RUNS=N (default 21). Markdown on stdout, progress on stderr.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
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

// oclif as it ran before the bundle: the unbundled @oclif/core finding the compiled commands in
// dist/commands and the hook in dist/hooks, both plugins loaded (what main ran until now).
const packageRoot = join(here, '..');
const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
const unbundled = join(home, 'unbundled.cjs');
writeFileSync(
  unbundled,
  `require(${JSON.stringify(createRequire(join(packageRoot, 'package.json')).resolve('@oclif/core/execute'))}).execute({
  dir: ${JSON.stringify(packageRoot)},
  loadOptions: { root: ${JSON.stringify(packageRoot)}, pjson: ${JSON.stringify({
    ...pjson,
    oclif: {
      ...pjson.oclif,
      commands: './dist/commands',
      hooks: { command_not_found: './dist/hooks/command-not-found' },
    },
  })} },
});
`,
);

const MCP_INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
})}\n`;
/** The task this round's intake-task made: show-task, cancel-task and retry-task act on it. */
let task = '';
const intake = ['intake-task', '--title', 'cold start', '--capabilities', 'cold-start-bench', '--json'];

const commands = [
  { label: '`node -e 0`', argv: () => ['-e', '0'], floor: true },
  { label: 'node + one raw HTTP `GET /v1/status` (floor for the daemon commands)', argv: () => [rawStatus] },
  { label: '`colibri --help` (fast path)', argv: () => [cliBin, '--help'] },
  { label: '`colibri --version` (fast path)', argv: () => [cliBin, '--version'] },
  { label: '`colibri status --json` (fast path)', argv: () => [cliBin, 'status', '--json'] },
  {
    label: '`colibri status --json` (bundle: COLIBRI_NO_FAST_PATH=1)',
    argv: () => [cliBin, 'status', '--json'],
    env: { COLIBRI_NO_FAST_PATH: '1' },
  },
  { label: '`colibri list-tasks --json`', argv: () => [cliBin, 'list-tasks', '--json'] },
  { label: '`colibri list-tasks` (table)', argv: () => [cliBin, 'list-tasks'] },
  { label: '`colibri list-agents --json`', argv: () => [cliBin, 'list-agents', '--json'] },
  {
    label: '`colibri intake-task … --json`',
    argv: () => [cliBin, ...intake],
    done: (stdout) => {
      task = JSON.parse(stdout).task.id;
    },
  },
  { label: '`colibri show-task ID --json`', argv: () => [cliBin, 'show-task', task, '--json'] },
  { label: '`colibri cancel-task ID --json`', argv: () => [cliBin, 'cancel-task', task, '--json'] },
  { label: '`colibri retry-task ID --json`', argv: () => [cliBin, 'retry-task', task, '--json'] },
  {
    label: '`colibri list-tasks --limit x` (parse error, exit 2)',
    argv: () => [cliBin, 'list-tasks', '--limit', 'x'],
    status: 2,
  },
  { label: '`colibri statuss` (unknown command, exit 2)', argv: () => [cliBin, 'statuss'], status: 2 },
  {
    label: '`colibri mcp` (one `initialize` on stdin, then EOF)',
    argv: () => [cliBin, 'mcp'],
    input: MCP_INITIALIZE,
  },
  // The baseline, side by side: oclif as it ran before the bundle.
  ...[
    ['list-tasks --json', ['list-tasks', '--json']],
    ['intake-task … --json', intake],
    ['status --json', ['status', '--json']],
  ].map(([shown, args]) => ({
    label: `\`colibri ${shown}\` through the unbundled oclif (before)`,
    argv: () => [unbundled, ...args],
    env: { COLIBRI_NO_FAST_PATH: '1' },
  })),
  {
    label: '`colibri mcp` through the unbundled oclif (before)',
    argv: () => [unbundled, 'mcp'],
    input: MCP_INITIALIZE,
  },
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

function once(command) {
  const argv = command.argv();
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv, {
    env: { ...env, ...command.env },
    input: command.input ?? '',
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (result.status !== (command.status ?? 0)) {
    throw new Error(`node ${argv.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  }
  command.done?.(result.stdout);
  return { ms, cpuMs: cpuBefore === undefined ? undefined : cpuAfter - cpuBefore };
}

// One warm-up round (the page cache), then the measured rounds.
for (const command of commands) once(command);
const samples = new Map(commands.map((c) => [c, []]));
const load = [loadavg()[0]];
for (let round = 0; round < runs; round++) {
  for (const command of commands) samples.get(command).push(once(command));
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
live colibrid on SQLite. ${new Date().toISOString().slice(0, 16)}Z on ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version};
1-minute load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end. Target: every command's
median under ${TARGET}× \`node -e 0\`'s.

| command | median ms | p90 ms | ÷ \`node -e 0\` | under ${TARGET}× | mean CPU ms | CPU ÷ \`node -e 0\` |
|---|---:|---:|---:|:---:|---:|---:|
${rows.join('\n')}
`);
