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
    // No report was sent for the killed run; the agent is idle again and takes the next task.
    expect(agent.lines.filter((l) => l.type === 'report-delivered' && l.taskId === task.id)).toEqual([
      expect.objectContaining({ to: 'running' }),
    ]);
  });
});
