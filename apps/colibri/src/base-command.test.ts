// The CLI as a real process, without a daemon: flag errors, an unreachable daemon, the JSON error
// envelope, and that a token never leaks into an error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runColibri } from './testing/colibri-process.test-helper.js';

const home = mkdtempSync(join(tmpdir(), 'colibri-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const colibri = (args: string[], env: Record<string, string> = {}) =>
  runColibri(args, cleanEnv({ COLIBRI_HOME: home, ...env }));

describe('colibri without a daemon', { timeout: 30_000 }, () => {
  it('a bad flag value exits 2 with one line naming the flag', async () => {
    const cases: [string[], string][] = [
      [['intake-task', '--title', 't', '--capabilities', 'linux', '--priority', 'high'], '--priority'],
      [['intake-task', '--title', 't', '--capabilities', 'linux,Linux'], '"Linux"'],
      [['intake-task', '--title', 't', '--capabilities', 'linux', '--payload', '{url:'], '--payload'],
      [['transition-task', 'x', '--to', 'finished'], '--to=finished'],
      [['transition-task', 'x', '--to', 'done', '--result', 'ok'], '--result'],
      [['register-agent', 'Dome Dog', '--capabilities', 'linux'], 'agent name'],
      [['join-token', '--tenant', 'acme', '--ttl', '0'], '--ttl'],
      [['list-tasks', '--status', 'stuck'], '--status=stuck'],
      [['poll', '--agent', 'a', '--wait', '-1'], '--wait'],
      [['status', '--socket', '/s', '--url', 'http://127.0.0.1:1'], '--url'],
      [['status', '--url', 'ftp://example.org'], '--url'],
      [['list-agents', '--bogus'], '--bogus'],
      [['intake-task', '--capabilities', 'linux'], 'title'],
    ];
    const results = await Promise.all(cases.map(([args]) => colibri(args)));
    results.forEach((result, index) => {
      const [args, named] = cases[index]!;
      expect({ args, status: result.status }).toEqual({ args, status: 2 });
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^colibri: .+ \[COLIBRI_INVALID_[A-Z]+\]\n$/);
      expect(result.stderr).toContain(named);
    });
  });

  it('with --json a bad flag gives the error envelope on stdout', async () => {
    const result = await colibri(['intake-task', '--title', 't', '--capabilities', 'gpu,gpu', '--json']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'COLIBRI_INVALID_CAPABILITY',
        message: '--capabilities[1]: "gpu" is listed twice; list each tag once',
        details: { field: '--capabilities', index: 1, tag: 'gpu' },
      },
    });
  });

  it('an unreachable daemon exits 5 naming the socket', async () => {
    const result = await colibri(['status']);
    expect(result.status).toBe(5);
    expect(result.stderr).toContain(join(home, 'colibri.sock'));
    expect(result.stderr).toMatch(/^colibri: .+ \[COLIBRI_DAEMON_UNREACHABLE\]\n$/);
    const json = await colibri(['list-agents', '--json']);
    expect(json.status).toBe(5);
    expect(JSON.parse(json.stdout).error.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
  });

  it('an unreachable URL exits 5 naming the URL', async () => {
    const result = await colibri(['list-tasks', '--url', 'http://127.0.0.1:9']);
    expect(result.status).toBe(5);
    expect(result.stderr).toContain('http://127.0.0.1:9');
    expect(result.stderr).toMatch(/^colibri: .+ \[COLIBRI_DAEMON_UNREACHABLE\]\n$/);
  });

  it('never puts a token into an error, whichever source it came from', async () => {
    const secret = 'tok-0123456789abcdef';
    writeFileSync(join(home, 'operator.token'), `${secret}-file\n`, { mode: 0o600 });
    try {
      for (const [args, env] of [
        [['status', '--token', secret], {}],
        [[`--token=${secret}`, 'status'], {}],
        [['status'], { COLIBRI_TOKEN: secret }],
        [['status'], {}],
        [['status', '--json'], { COLIBRI_TOKEN: secret }],
      ] as [string[], Record<string, string>][]) {
        const result = await colibri(args, env);
        expect(result.status).not.toBe(0);
        expect(result.stdout + result.stderr).not.toContain(secret);
      }
    } finally {
      rmSync(join(home, 'operator.token'));
    }
  });

  it('an unknown command exits 2 with one line and the nearest command', async () => {
    const result = await colibri(['list-task']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'colibri: unknown command "list-task"; did you mean list-tasks? (see colibri --help) [COLIBRI_INVALID_INPUT]\n',
    );
  });

  it('--help lists every command of the seed vocabulary', async () => {
    const result = await colibri(['--help']);
    expect(result.status).toBe(0);
    for (const command of [
      'register-agent',
      'intake-task',
      'transition-task',
      'poll',
      'heartbeat',
      'list-agents',
      'list-tasks',
      'show-task',
      'status',
      'join-token',
      'check-capabilities',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    }
  });
});
