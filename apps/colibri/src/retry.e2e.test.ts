// Retries, the dead letter and idempotent intake (issue 15 items 3 and 4) with real processes: a
// real colibrid, a real `colibri run-agent` and its handlers, and the CLI as a real process.
import { readFileSync } from 'node:fs';
import type { ApiTask, IntakeTaskResponse, ShowTaskResponse } from '@colibri/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentHome,
  type AgentProcess,
  createAgentHome,
  startAgentProcess,
} from './testing/agent-process.test-helper.js';
import { cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

const agentEnv = (hive: Hive, home: AgentHome) =>
  cleanEnv({ COLIBRI_HOME: hive.home, HOME: home.home, PATH: `${home.binDir}:/usr/bin:/bin` });

describe('retries and idempotent intake', { timeout: 120_000 }, () => {
  let hive: Hive;
  let home: AgentHome;
  let agent: AgentProcess;

  beforeAll(async () => {
    hive = await startHive();
    home = createAgentHome();
    // Fails on its first two runs (counting them in a file), then succeeds.
    home.handler(
      'third-time-lucky',
      `#!/bin/sh\ncat > /dev/null\nn=$(cat '${home.path('runs')}' 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > '${home.path('runs')}'\nif [ $n -lt 3 ]; then echo "flaky: run $n" >&2; exit 1; fi\necho '{"runs":'$n'}'\n`,
    );
    home.handler('always-fails', '#!/bin/sh\ncat > /dev/null\necho "broken for good" >&2\nexit 3\n');
    agent = startAgentProcess(['--name', 'worker', '--capabilities', 'linux,shell'], agentEnv(hive, home));
    await agent.waitFor('registered');
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await agent?.exited;
    await hive?.stop();
    home?.dispose();
  });

  it('intake-task --retries retries a failing handler after its backoff until it succeeds', async () => {
    const done = await hive.json<ShowTaskResponse>([
      'intake-task',
      '--title',
      'flaky job',
      '--capabilities',
      'shell',
      '--payload',
      JSON.stringify({ handler: 'third-time-lucky' }),
      '--retries',
      '3',
      '--retry-backoff',
      '200ms',
      '--wait',
      '60',
    ]);
    expect(done.task).toMatchObject({
      status: 'done',
      attempt: 3,
      maxAttempts: 4,
      error: null,
      result: { runs: 3 },
    });
    expect(readFileSync(home.path('runs'), 'utf8').trim()).toBe('3');
    const retried = done.events.filter((e) => e.from !== null && e.to === 'parked').map((e) => e.reason);
    expect(retried).toEqual([
      expect.stringMatching(/^attempt 1 of 4 failed: .*; next attempt not before .* \(backoff 200ms\)$/),
      expect.stringMatching(/^attempt 2 of 4 failed: .*; next attempt not before .* \(backoff 400ms\)$/),
    ]);
  });

  it('exhausted retries end as a dead letter, listed by list-tasks --status failed; retry-task puts it back', async () => {
    const waited = await hive.colibri([
      'intake-task',
      '--title',
      'doomed',
      '--capabilities',
      'shell',
      '--payload',
      JSON.stringify({ handler: 'always-fails' }),
      '--retries',
      '1',
      '--retry-backoff',
      '100ms',
      '--wait',
      '60',
      '--json',
    ]);
    expect(waited.status).not.toBe(0);
    const { task } = JSON.parse(waited.stdout) as { task: ApiTask };
    expect(task).toMatchObject({ status: 'failed', attempt: 2 });
    expect(task.error).toMatch(/^gave up after 2 of 2 attempts: .*exit(ed)? .*3/);
    const dead = await hive.json<{ tasks: ApiTask[] }>(['list-tasks', '--status', 'failed']);
    expect(dead.tasks.map((t) => t.id)).toContain(task.id);
    const human = await hive.colibri(['show-task', task.id]);
    expect(human.stdout).toMatch(/retries\s+after a failed attempt, backoff 100ms doubled each time/);

    const back = await hive.json<{ task: ApiTask }>([
      'retry-task',
      task.id,
      '--attempts',
      '1',
      '--reason',
      'try once more',
    ]);
    expect(back.task.maxAttempts).toBe(3);
    const final = await eventuallyFinished(hive, task.id);
    expect(final.task).toMatchObject({
      status: 'failed',
      attempt: 3,
      error: expect.stringMatching(/^gave up after 3 of 3 attempts/),
    });
    expect(final.events.filter((e) => e.to === 'assigned').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(final.events.find((e) => e.from === 'failed')).toMatchObject({
      to: 'parked',
      reason: 'try once more (1 more attempt, up to 3)',
    });

    // Not a failed/cancelled/expired task: refused with exit 4, nothing changes.
    const { task: parked } = await hive.json<IntakeTaskResponse>([
      'intake-task',
      '--title',
      'waits forever',
      '--capabilities',
      'nobody-has-this',
    ]);
    const refused = await hive.colibri(['retry-task', parked.id]);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toContain('COLIBRI_ILLEGAL_TRANSITION');
    const missing = await hive.colibri(['retry-task', '00000000-0000-4000-8000-000000000000', '--json']);
    expect(missing.status).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'COLIBRI_TASK_NOT_FOUND' } });
  });

  it('intake-task --idempotency-key: the same key returns the same task, from several processes at once too', async () => {
    const intake = (title: string, key: string) =>
      hive.colibri([
        'intake-task',
        '--title',
        title,
        '--capabilities',
        'nobody-has-this',
        '--idempotency-key',
        key,
        '--json',
      ]);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => intake('once only', 'order-42')));
    for (const result of results) expect(result.status, result.stderr).toBe(0);
    const answers = results.map((r) => JSON.parse(r.stdout) as IntakeTaskResponse);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.task.id)).size).toBe(1);
    const again = await hive.colibri([
      'intake-task',
      '--title',
      'once only',
      '--capabilities',
      'nobody-has-this',
      '--idempotency-key',
      'order-42',
    ]);
    expect(again.stdout).toContain(
      `task ${answers[0]!.task.id} was already taken in with this idempotency key`,
    );
    const conflict = await intake('something else', 'order-42');
    expect(conflict.status).toBe(4);
    expect(JSON.parse(conflict.stdout)).toMatchObject({ error: { code: 'COLIBRI_IDEMPOTENCY_CONFLICT' } });
    const bad = await hive.colibri([
      'intake-task',
      '--title',
      'x',
      '--capabilities',
      '',
      '--retry-backoff',
      'soon',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--retry-backoff');
    const { tasks } = await hive.json<{ tasks: ApiTask[] }>(['list-tasks', '--status', 'parked']);
    expect(tasks.filter((t) => t.idempotencyKey === 'order-42')).toHaveLength(1);
  });
});

async function eventuallyFinished(hive: Hive, taskId: string): Promise<ShowTaskResponse> {
  const until = Date.now() + 60_000;
  for (;;) {
    const shown = await hive.json<ShowTaskResponse>(['show-task', taskId]);
    if (['done', 'failed', 'cancelled'].includes(shown.task.status) && shown.task.attempt >= 3) return shown;
    if (Date.now() > until) throw new Error(`task ${taskId} did not finish: ${JSON.stringify(shown.task)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
