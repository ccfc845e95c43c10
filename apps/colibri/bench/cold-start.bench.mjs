// CLI cold start, side by side in one run: `node -e 0` (the floor: Node itself) and colibri's
// commands as a user starts them (`colibri --help`, `--version`, `status --json` and `list-agents
// --json` against a real colibrid on SQLite in a temp home). Runs are interleaved round-robin so
// machine noise hits every command alike; the table gives the median and p90 wall time and the
// ratio of medians to `node -e 0` (target: every command under 1.8×). BENCH_COLD_RUNS=N (default
// 21). Markdown on stdout, progress on stderr.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

const commands = [
  { label: '`node -e 0`', argv: ['-e', '0'], floor: true },
  { label: '`colibri --help`', argv: [cliBin, '--help'] },
  { label: '`colibri --version`', argv: [cliBin, '--version'] },
  { label: '`colibri status --json`', argv: [cliBin, 'status', '--json'] },
  { label: '`colibri list-agents --json`', argv: [cliBin, 'list-agents', '--json'] },
];

function once(argv) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`node ${argv.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  }
  return ms;
}

// One warm-up round (the page cache), then the measured rounds.
for (const command of commands) once(command.argv);
const samples = new Map(commands.map((c) => [c, []]));
const load = [loadavg()[0]];
for (let round = 0; round < runs; round++) {
  for (const command of commands) samples.get(command).push(once(command.argv));
  if (round % 5 === 4) process.stderr.write(`cold start: ${round + 1}/${runs} rounds\n`);
}
load.push(loadavg()[0]);

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const floor = quantile(samples.get(commands[0]), 0.5);
const rows = commands.map((command) => {
  const values = samples.get(command);
  const median = quantile(values, 0.5);
  const ratio = median / floor;
  const verdict = command.floor ? '—' : ratio <= TARGET ? 'yes' : 'no';
  return `| ${command.label} | ${median.toFixed(0)} | ${quantile(values, 0.9).toFixed(0)} | ${ratio.toFixed(2)}× | ${verdict} |`;
});

process.stdout.write(`## CLI cold start: colibri commands next to \`node -e 0\`

\`node apps/colibri/bench/cold-start.bench.mjs\` (in \`pnpm bench\`): each command started as a fresh
process ${runs} times, round-robin with \`node -e 0\` in the same run (one warm-up round first), against a
live colibrid on SQLite. Load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end. Target:
every command's median under ${TARGET}× \`node -e 0\`'s.

| command | median ms | p90 ms | ÷ \`node -e 0\` | under ${TARGET}× |
|---|---:|---:|---:|:---:|
${rows.join('\n')}
`);
