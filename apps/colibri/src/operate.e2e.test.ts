// Running the hive day to day (issue 15) with real processes: a real colibrid, real
// `colibri run-agent` processes and their handlers, and the CLI as a real process.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShowTaskResponse } from '@colibri/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentHome,
  type AgentProcess,
  createAgentHome,
  startAgentProcess,
} from './testing/agent-process.test-helper.js';
import { cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

/** Polls until `check` returns a value; `ms` bounds it (a failure guard). */
async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * True while the process runs. A zombie (state Z: dead, waiting for a parent to reap it — an
 * orphaned grandchild here may wait for a container's init that never reaps) runs nothing.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const SECRET = 'sk-live-4f9c2e7a1b';

const agentEnv = (hive: Hive, home: AgentHome) =>
  cleanEnv({ COLIBRI_HOME: hive.home, HOME: home.home, PATH: `${home.binDir}:/usr/bin:/bin` });

describe('running the hive', { timeout: 120_000 }, () => {
  let hive: Hive;
  let home: AgentHome;
  let agent: AgentProcess;

  beforeAll(async () => {
    hive = await startHive();
    home = createAgentHome();
    // Sleeps 60 s in a child of its own (same process group), after writing both pids down.
    home.handler(
      'sleeper',
      `#!/bin/sh\ncat > /dev/null\nsleep 60 &\necho "$$ $!" > '${home.path('pids.tmp')}'\nmv '${home.path('pids.tmp')}' '${home.path('pids')}'\nwait\n`,
    );
    // Its tenant's secret, which must never reach the store through the handler's stderr.
    home.env({ API_KEY: SECRET });
    // 70 KiB of noise, then the secret, the agent's own token and a terminal escape, then the last line.
    home.handler(
      'noisy',
      `#!/bin/sh\ncat > /dev/null\nhead -c 71680 /dev/zero | tr '\\0' 'n' >&2\necho >&2\necho "key=$API_KEY token=$COLIBRI_TOKEN" >&2\nprintf 'colour \\033[31mred\\033[0m\\n' >&2\necho 'the last line' >&2\nexit 3\n`,
    );
    agent = startAgentProcess(['--name', 'worker', '--capabilities', 'linux,shell'], agentEnv(hive, home));
    await agent.waitFor('registered');
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await agent?.exited;
    await hive?.stop();
    home?.dispose();
  });

  it('cancel-task reaches the running handler: its process group is gone within 2 s, its late report is refused', async () => {
    const { task } = await hive.json<{ task: { id: string } }>([
      'intake-task',
      '--title',
      'sleep a minute',
      '--capabilities',
      'shell',
      '--payload',
      JSON.stringify({ handler: 'sleeper', timeoutSeconds: 120 }),
    ]);
    await agent.waitFor('task-started', (l) => l.taskId === task.id);
    const pids = await eventually('the handler pids', () =>
      existsSync(home.path('pids'))
        ? readFileSync(home.path('pids'), 'utf8').trim().split(' ').map(Number)
        : undefined,
    );
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(true);

    const cancelled = await hive.json<{ task: { status: string } }>([
      'cancel-task',
      task.id,
      '--reason',
      'no longer needed',
    ]);
    expect(cancelled.task.status).toBe('cancelled');
    // The bound: the shell and its sleeping child are gone 2 s after the cancel returned
    // (the sleep had 60 s to go, and nothing but the cancel ends it sooner).
    const cancelledAt = Date.now();
    await eventually('the handler processes to be gone', () => (pids.some(alive) ? undefined : true), 2000);
    const tookMs = Date.now() - cancelledAt;
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await agent.waitFor('task-revoked', (l) => l.taskId === task.id)).toMatchObject({
      attempt: 1,
      status: 'cancelled',
      reason: 'no longer needed',
    });
    const killed = await agent.waitFor('handler-killed', (l) => l.taskId === task.id);
    expect(killed).toMatchObject({ why: 'revoked' });

    // A late report with the agent's own token and attempt is refused by the attempt token (exit 4).
    const { token } = JSON.parse(
      readFileSync(join(home.home, '.colibri', 'agents', 'worker', 'agent.json'), 'utf8'),
    ) as { token: string };
    const late = await hive.colibri(
      ['transition-task', task.id, '--to', 'done', '--attempt', '1', '--result', '{"late":true}'],
      { COLIBRI_TOKEN: token },
    );
    expect(late.status).toBe(4);
    expect(late.stderr).toContain('COLIBRI_STALE_ATTEMPT');
    const shown = await hive.json<ShowTaskResponse>(['show-task', task.id]);
    expect(shown.task).toMatchObject({ status: 'cancelled', result: null });
    expect(shown.events.at(-1)).toMatchObject({ to: 'cancelled', reason: 'no longer needed' });
    const latencyMs = Date.parse(killed.at) - Date.parse(shown.events.at(-1)?.at ?? '');
    console.log(
      `cancel committed → handler group gone (agent's event): ${latencyMs} ms; checked ${tookMs} ms after cancel-task exited`,
    );
    // No report was sent for the killed run (its poll claimed it: no running report either); the
    // agent is idle again and takes the next task.
    expect(agent.lines.filter((l) => l.type === 'report-delivered' && l.taskId === task.id)).toEqual([]);
  });
  it("show-task shows the handler's last 64 KiB of stderr, its .env values and token scrubbed, escapes kept visible", async () => {
    const { task } = await hive.json<{ task: { id: string } }>([
      'intake-task',
      '--title',
      'noisy failure',
      '--capabilities',
      'shell',
      '--payload',
      JSON.stringify({ handler: 'noisy' }),
    ]);
    await agent.waitFor('report-delivered', (l) => l.taskId === task.id && l.to === 'failed');
    const shown = await hive.json<ShowTaskResponse>(['show-task', task.id]);
    const tail = shown.stderrTail ?? '';
    expect(shown.task.status).toBe('failed');
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(tail)).toBeGreaterThan(60 * 1024);
    expect(tail.endsWith('the last line\n')).toBe(true);
    expect(tail).toContain('key=[redacted] token=[redacted]');
    expect(tail).toContain('colour \\x1b[31mred\\x1b[0m');
    expect(tail).not.toContain('\x1b');
    const { token } = JSON.parse(
      readFileSync(join(home.home, '.colibri', 'agents', 'worker', 'agent.json'), 'utf8'),
    ) as { token: string };
    // Neither the secret nor the token is anywhere in what the daemon keeps of the task.
    const everything = JSON.stringify(shown);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(token);
    expect((shown.task.result as { stderr: string }).stderr).toContain('the last line');
    const human = await hive.colibri(['show-task', task.id]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain("stderr (the handler's last 64 KiB, secrets scrubbed):");
    expect(human.stdout).toContain('  key=[redacted] token=[redacted]');
    expect(human.stdout).not.toContain(SECRET);
  });

  it('intake-task --expire-after: a task nobody can take ends expired with the reason; bad durations exit 2', async () => {
    const { task } = await hive.json<{ task: { id: string; expiresAt: string | null } }>([
      'intake-task',
      '--title',
      'needs a gpu',
      '--capabilities',
      'gpu',
      '--expire-after',
      '1s',
    ]);
    expect(task.expiresAt).not.toBeNull();
    const shown = await eventually('the task to expire', async () => {
      const s = await hive.json<ShowTaskResponse>(['show-task', task.id]);
      return s.task.status === 'expired' ? s : undefined;
    });
    const reason = 'no capable agent within 1s; missing gpu on every online agent';
    expect(shown.events.at(-1)).toMatchObject({ from: 'parked', to: 'expired', reason });
    const human = await hive.colibri(['show-task', task.id]);
    expect(human.stdout).toContain(`expired: ${reason}`);
    const listed = await hive.json<{ tasks: { id: string }[] }>(['list-tasks', '--status', 'expired']);
    expect(listed.tasks.map((t) => t.id)).toContain(task.id);
    for (const bad of ['0', 'soon', '500ms']) {
      const refused = await hive.colibri([
        'intake-task',
        '--title',
        'x',
        '--capabilities',
        '',
        '--expire-after',
        bad,
      ]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('--expire-after');
      expect(refused.stderr).toContain('COLIBRI_INVALID_INPUT');
    }
    const help = await hive.colibri(['intake-task', '--help']);
    expect(help.stdout).toContain('--expire-after=DUR');
  });

  it('prune --older-than counts with --dry-run, then deletes only finished tasks', async () => {
    const parked = await hive.json<{ task: { id: string } }>([
      'intake-task',
      '--title',
      'waits',
      '--capabilities',
      'nobody-has-this',
    ]);
    const finished = async () =>
      (await hive.json<{ tasks: { id: string; status: string }[] }>(['list-tasks'])).tasks.filter((t) =>
        ['done', 'failed', 'cancelled', 'expired'].includes(t.status),
      );
    const expected = (await finished()).length;
    expect(expected).toBeGreaterThan(0);
    const dry = await eventually('every finished task to be older than 1 s', async () => {
      const counted = await hive.json<{ dryRun: boolean; tasks: number; events: number }>([
        'prune',
        '--older-than',
        '1s',
        '--dry-run',
      ]);
      return counted.tasks === expected ? counted : undefined;
    });
    expect(dry.dryRun).toBe(true);
    expect((await finished()).length).toBe(expected);
    const human = await hive.colibri(['prune', '--older-than', '1s', '--dry-run']);
    expect(human.stdout).toMatch(
      /^would prune \d+ finished tasks? and \d+ events? \(finished before .*\); nothing deleted/,
    );
    const pruned = await hive.json<{ dryRun: boolean; tasks: number; events: number }>([
      'prune',
      '--older-than',
      '1s',
    ]);
    expect(pruned).toMatchObject({ dryRun: false, tasks: dry.tasks, events: dry.events });
    expect(await finished()).toEqual([]);
    const left = await hive.json<ShowTaskResponse>(['show-task', parked.task.id]);
    expect(left.task.status).toBe('parked');
    const refused = await hive.colibri(['prune', '--older-than', 'forever']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--older-than');
    const missing = await hive.colibri(['prune']);
    expect(missing.status).toBe(2);
  });
});
