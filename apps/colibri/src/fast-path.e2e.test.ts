// The fast path (bin/run.js → dist/fast-path.bundle.cjs) against oclif, as real processes on a real
// colibrid: every invocation it answers gives the same stdout, stderr and exit code as the oclif
// command (COLIBRI_NO_FAST_PATH=1), and it answers without loading oclif; everything it does not
// recognise exactly goes to oclif. A preload records whether oclif was ever loaded: @oclif/core
// itself, dist/cli.bundle.cjs or a direct-path bundle (dist/direct/*.cjs), which bundle it. The
// reference is oclif itself (COLIBRI_NO_FAST_PATH=1 COLIBRI_NO_DIRECT=1).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_COMMANDS } from './fast-path-commands.js';
import { COLIBRI_BIN, cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

interface Observed {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly oclifLoaded: boolean;
}

const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8')) as {
  commands: Record<string, { flags: Record<string, { type: string; options?: string[] }> }>;
};

let hive: Hive;
let probeDir: string;
let probe: string;

beforeAll(async () => {
  hive = await startHive();
  probeDir = mkdtempSync(join(tmpdir(), 'colibri-fast-path-'));
  probe = join(probeDir, 'probe.cjs');
  writeFileSync(
    probe,
    `process.on('exit', () => {
  const loaded = Object.keys(require.cache).some(
    (file) =>
      file.includes('/@oclif/core/') || file.endsWith('/dist/cli.bundle.cjs') || file.includes('/dist/direct/'),
  );
  require('node:fs').writeFileSync(process.env.PROBE_OUT, loaded ? 'oclif' : 'none');
});
`,
  );
});

afterAll(async () => {
  await hive?.stop();
  rmSync(probeDir, { recursive: true, force: true });
});

let runs = 0;
function observe(args: readonly string[], env: Record<string, string> = {}): Promise<Observed> {
  const out = join(probeDir, `probe-${runs++}.txt`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--require', probe, COLIBRI_BIN, ...args],
      {
        env: cleanEnv({ COLIBRI_HOME: hive.home, PROBE_OUT: out, ...env }),
        encoding: 'utf8',
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr, oclifLoaded: readFileSync(out, 'utf8') === 'oclif' });
      },
    );
  });
}

/** oclif itself: neither the fast path nor the direct path. */
const OCLIF = { COLIBRI_NO_FAST_PATH: '1', COLIBRI_NO_DIRECT: '1' };

/** The daemon's uptime moves between the two runs; nothing else may differ. */
const steady = (text: string) =>
  text.replace(/"uptimeSeconds": \d+/g, '"uptimeSeconds": N').replace(/, up [^\n]+/g, ', up N');

const answered: [string, string[]][] = [
  ['--version', ['--version']],
  ['no arguments (the root help)', []],
  ['--help', ['--help']],
  ['status --help', ['status', '--help']],
  ['list-agents --help', ['list-agents', '--help']],
  ['spawn-agent --help', ['spawn-agent', '--help']],
  ['autocomplete --help', ['autocomplete', '--help']],
  ['status', ['status']],
  ['status --json', ['status', '--json']],
  ['status on a missing socket', ['status', '--socket', '/nonexistent/colibri.sock']],
  ['status --json on a missing socket', ['status', '--json', '--socket=/nonexistent/colibri.sock']],
  ['status with a wrong token (never printed)', ['status', '--token', 'not-the-token']],
  ['status --url that is not http', ['status', '--url', 'ftp://example.org']],
];

describe('the fast path answers as oclif does, without loading it', () => {
  it.each(answered)('%s', async (_label, args) => {
    const [fast, oclif] = await Promise.all([observe(args), observe(args, OCLIF)]);
    expect(oclif.oclifLoaded).toBe(true);
    expect(fast.oclifLoaded).toBe(false);
    expect({ ...fast, stdout: steady(fast.stdout), oclifLoaded: undefined }).toEqual({
      ...oclif,
      stdout: steady(oclif.stdout),
      oclifLoaded: undefined,
    });
    expect(fast.stdout + fast.stderr).not.toContain('not-the-token');
  });
});

const declined: [string, string[], Record<string, string>][] = [
  ['an unknown flag', ['status', '--verbose'], {}],
  ['--socket with --url', ['status', '--socket', '/x.sock', '--url', 'http://127.0.0.1:1'], {}],
  ['a repeated flag', ['status', '--home', '/a', '--home', '/b'], {}],
  ['list-agents (oclif: short ids, --wide)', ['list-agents', '--json'], {}],
  ['a flag without its value', ['status', '--home'], {}],
  ['--json given a value', ['status', '--json=yes'], {}],
  ['another command', ['list-tasks', '--json'], {}],
  ['help by the help command', ['help', 'status'], {}],
  ['COLIBRI_CONTENT_TYPE (oclif reads it as --json)', ['status'], { COLIBRI_CONTENT_TYPE: 'json' }],
  ['help with colour forced', ['--help'], { FORCE_COLOR: '1' }],
  ['help at another width', ['status', '--help'], { OCLIF_COLUMNS: '120' }],
];

describe('the fast path leaves everything else to oclif', () => {
  it.each(declined)('%s', async (_label, args, env) => {
    const [fast, oclif] = await Promise.all([observe(args, env), observe(args, { ...env, ...OCLIF })]);
    expect(fast.oclifLoaded).toBe(true);
    expect({ ...fast, stdout: steady(fast.stdout) }).toEqual({ ...oclif, stdout: steady(oclif.stdout) });
  });
});

describe("the fast path's flags", () => {
  const globalAndJson = new Set(['home', 'socket', 'url', 'token', 'json']);
  it.each(Object.keys(FAST_COMMANDS))('%s accepts exactly the oclif command’s own flags', (id) => {
    const declared = manifest.commands[id]?.flags;
    expect(declared).toBeDefined();
    const own = Object.fromEntries(
      Object.entries(declared ?? {})
        .filter(([name]) => !globalAndJson.has(name))
        .map(([name, flag]) => [
          name,
          flag.type === 'boolean'
            ? { kind: 'boolean' }
            : { kind: 'string', ...(flag.options === undefined ? {} : { options: flag.options }) },
        ]),
    );
    expect(FAST_COMMANDS[id]?.flags).toEqual(own);
  });
});
