// The bundled CLI (bin/run.js → dist/cli.bundle.cjs: @oclif/core and every command in one module,
// the commands found by oclif's explicit strategy, its plugins left out for colibri's own
// commands) against oclif as it ran before: the unbundled @oclif/core from node_modules finding
// the compiled commands in dist/commands and the hook in dist/hooks, with both plugins. Both as
// real processes on a real colibrid, the fast path off: stdout, stderr and exit code must be
// identical for output, help, parse errors, unknown commands and --json.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, packageJsonFor } from './cli-entry.js';
import { COLIBRI_BIN, cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));

let hive: Hive;
let scratch: string;
let unbundled: string;

beforeAll(async () => {
  hive = await startHive();
  scratch = mkdtempSync(join(tmpdir(), 'colibri-bundle-'));
  unbundled = join(scratch, 'unbundled.cjs');
  const execute = createRequire(join(packageRoot, 'package.json')).resolve('@oclif/core/execute');
  const reference = {
    ...pjson,
    oclif: {
      ...pjson.oclif,
      commands: './dist/commands',
      hooks: { command_not_found: './dist/hooks/command-not-found' },
    },
  };
  writeFileSync(
    unbundled,
    `require(${JSON.stringify(execute)}).execute({
  dir: ${JSON.stringify(packageRoot)},
  loadOptions: { root: ${JSON.stringify(packageRoot)}, pjson: ${JSON.stringify(reference)} },
});
`,
  );
});

afterAll(async () => {
  await hive?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Observed {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function observe(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  input = '',
): Promise<Observed> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [script, ...args],
      {
        env: cleanEnv({
          COLIBRI_HOME: hive.home,
          COLIBRI_NO_FAST_PATH: '1',
          XDG_CACHE_HOME: join(scratch, 'cache'),
          ...env,
        }),
        encoding: 'utf8',
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

const steady = (text: string) =>
  text.replace(/"uptimeSeconds": \d+/g, '"uptimeSeconds": N').replace(/, up [^\n]+/g, ', up N');

/** An MCP client's first message: `mcp` answers it from its own bundle (dist/mcp.bundle.cjs). */
const MCP_INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '0' } },
})}\n`;

const cases: [string, string[], Record<string, string>, string?][] = [
  ['list-tasks --json', ['list-tasks', '--json'], {}],
  ['list-tasks', ['list-tasks'], {}],
  ['list-agents --wide', ['list-agents', '--wide'], {}],
  ['status --json', ['status', '--json'], {}],
  ['COLIBRI_CONTENT_TYPE=json', ['list-tasks'], { COLIBRI_CONTENT_TYPE: 'json' }],
  ['a flag of the wrong type', ['list-tasks', '--limit', 'x'], {}],
  ['an option not offered', ['list-tasks', '--status', 'sleeping', '--json'], {}],
  ['an unknown flag', ['list-tasks', '--bogus'], {}],
  ['an unexpected argument', ['list-tasks', 'extra'], {}],
  ['exclusive flags', ['status', '--socket', '/x.sock', '--url', 'http://127.0.0.1:1'], {}],
  ['missing required flags', ['intake-task'], {}],
  ['missing argument', ['cancel-task', '--json'], {}],
  ['a task that does not exist', ['show-task', 'ffffffff', '--json'], {}],
  ['retry of a task that does not exist', ['retry-task', 'ffffffff'], {}],
  ['an unknown command', ['statuss'], {}],
  ['an unknown command, --json', ['list-task', '--json'], {}],
  ['a global flag before the command', ['--token=s3cret', 'status'], {}],
  ['--version', ['--version'], {}],
  ['the root help', ['--help'], {}],
  ['no arguments', [], {}],
  ['a command help', ['list-tasks', '--help'], {}],
  ['a command help at another width', ['intake-task', '--help'], { OCLIF_COLUMNS: '120' }],
  ['the help command', ['help', 'list-tasks'], {}],
  ['autocomplete --help', ['autocomplete', '--help'], {}],
  ['autocomplete script', ['autocomplete', 'script', 'bash'], {}],
  ['run-agent with a bad flag', ['run-agent', '--bogus'], {}],
  ['spawn-agent without its arguments', ['spawn-agent'], {}],
  ['mcp with a bad flag', ['mcp', '--bogus'], {}],
  ['mcp answering initialize on stdin', ['mcp'], {}, MCP_INITIALIZE],
  // The direct path (src/direct.ts) and the argv it declines.
  ['list-skills --json', ['list-skills', '--json'], {}],
  ['list-tenants --json', ['list-tenants', '--json'], {}],
  ['list-agents --status offline --json', ['list-agents', '--status', 'offline', '--json'], {}],
  ['a flag as --name=value', ['list-tasks', '--limit=2', '--json'], {}],
  ['a repeated flag', ['list-tasks', '--limit', '2', '--limit', '3'], {}],
  ['--json after --', ['list-tasks', '--', '--json'], {}],
  ['an extra argument to a command with one', ['cancel-task', 'ffffffff', 'extra'], {}],
  ['a word after a command that takes none, with flags', ['list-agents', 'extra', '--json'], {}],
  ['-h', ['list-tasks', '-h'], {}],
  ['--help after --', ['list-tasks', '--', '--help'], {}],
  ['COLIBRI_DEBUG=1', ['list-tasks', '--limit', 'x'], { COLIBRI_DEBUG: '1' }],
  ['an unreachable daemon, --json', ['list-tasks', '--socket', '/nonexistent/colibri.sock', '--json'], {}],
  ['an unreachable daemon', ['list-agents', '--socket', '/nonexistent/colibri.sock'], {}],
  ['the direct path off', ['list-tasks', '--json'], { COLIBRI_NO_DIRECT: '1' }],
  ['an unknown command with flags', ['intake', '--title', 'x', '--json'], {}],
  ['an unknown command and a word', ['statuss', 'now'], {}],
  ['an unknown command with a value flag', ['lis-tasks', '--limit=3'], {}],
  ['an unknown word far from any command', ['zzzzzzzzzzzz'], {}],
  ['a prefix of a plugin command', ['autocomp'], {}],
  ['an unknown command with --help', ['statuss', '--help'], {}],
  ['a topic of a plugin', ['autocomplete', 'script'], {}],
  ['an unknown command, COLIBRI_DEBUG=1', ['statuss'], { COLIBRI_DEBUG: '1' }],
];

describe('the bundled CLI answers as the unbundled oclif does', () => {
  it.each(cases)('%s', async (_label, args, env, input) => {
    const [bundled, reference] = await Promise.all([
      observe(COLIBRI_BIN, args, env, input),
      observe(unbundled, args, env, input),
    ]);
    expect({ ...bundled, stdout: steady(bundled.stdout) }).toEqual({
      ...reference,
      stdout: steady(reference.stdout),
    });
  });
});

describe('the direct path answers as the unbundled oclif does', () => {
  it('for every command refusing an unknown flag, with and without --json', async () => {
    const argvs = Object.keys(COMMANDS).flatMap((id) => [
      [id, '--no-such-flag'],
      [id, '--json', '--no-such-flag=1'],
    ]);
    for (const args of argvs) {
      const [direct, reference] = await Promise.all([
        observe(COLIBRI_BIN, args, {}),
        observe(unbundled, args, {}),
      ]);
      expect({ args, ...direct }).toEqual({ args, ...reference });
    }
  });

  it('loads nothing it left out of its bundles (oclif from node_modules, its help, its config)', async () => {
    const probe = join(scratch, 'probe.cjs');
    writeFileSync(
      probe,
      `process.on('exit', () => {
  const loaded = Object.keys(require.cache).filter((file) => file.includes('/node_modules/'));
  require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify(loaded));
});
`,
    );
    const runs: [string[], number][] = [
      [['list-tasks', '--json'], 0],
      [['list-agents'], 0],
      [['list-tasks', '--limit', 'x'], 2],
      [['show-task', 'ffffffff', '--json'], 3],
      [['status', '--socket', '/nonexistent/colibri.sock', '--verbose'], 2],
      [['statuss'], 2],
      [['list-task', '--json'], 2],
    ];
    for (const [index, [args, status]] of runs.entries()) {
      const out = join(scratch, `probe-${index}.json`);
      const observed = await observe('--require', [probe, COLIBRI_BIN, ...args], { PROBE_OUT: out });
      expect({ args, status: observed.status }).toEqual({ args, status });
      expect({ args, loaded: JSON.parse(readFileSync(out, 'utf8')) }).toEqual({ args, loaded: [] });
    }
  });

  it('with a user theme, which it leaves to oclif', async () => {
    const config = join(scratch, 'config');
    mkdirSync(join(config, 'colibri'), { recursive: true });
    writeFileSync(join(config, 'colibri', 'theme.json'), JSON.stringify({ json: { key: 'red' } }));
    const env = { XDG_CONFIG_HOME: config, FORCE_COLOR: '1' };
    const args = ['list-tasks', '--limit', 'x'];
    const [direct, reference] = await Promise.all([
      observe(COLIBRI_BIN, args, env),
      observe(unbundled, args, env),
    ]);
    expect(direct).toEqual(reference);
  });
});

describe('the explicit command list', () => {
  it('holds every command in src/commands under its file name', () => {
    const files = readdirSync(new URL('./commands', import.meta.url))
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(COMMANDS).sort()).toEqual(files);
  });

  it('leaves the plugins out only for a colibri command that asks for no help', () => {
    const plugins = (argv: string[]) => packageJsonFor(argv, pjson).oclif.plugins;
    expect(plugins(['list-tasks', '--json'])).toEqual([]);
    expect(plugins(['list-tasks', '--help'])).toEqual(pjson.oclif.plugins);
    expect(plugins(['help', 'list-tasks'])).toEqual(pjson.oclif.plugins);
    expect(plugins(['autocomplete'])).toEqual(pjson.oclif.plugins);
    expect(plugins(['statuss'])).toEqual(pjson.oclif.plugins);
    expect(plugins([])).toEqual(pjson.oclif.plugins);
    expect(pjson.oclif.plugins.length).toBeGreaterThan(0);
  });
});
