// Short ids, prefixes and agent names with real processes: a real colibrid and the CLI. Every
// command that takes a task or agent id also takes a unique prefix of 6+ characters (and, for an
// agent, its name); tables show 8-character ids and agent names, `--wide` whole ids, `--json`
// always whole ids.
import type { ApiAgent, ApiTask, RegisterAgentResponse, ShowTaskResponse } from '@colibri/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hive, startHive } from './testing/colibri-process.test-helper.js';

/** A prefix of `length` that starts no id in `ids` (the first character changed until it does not). */
function unusedPrefix(ids: readonly string[], length: number): string {
  for (const first of '0123456789abcdef') {
    const prefix = `${first}${'0'.repeat(length - 1)}`;
    if (!ids.some((id) => id.startsWith(prefix))) return prefix;
  }
  throw new Error('every prefix is taken');
}

describe('ids: prefixes, names, short and wide', { timeout: 120_000 }, () => {
  let hive: Hive;
  let agent: RegisterAgentResponse;
  let task: ApiTask;

  beforeAll(async () => {
    hive = await startHive();
    agent = await hive.json<RegisterAgentResponse>([
      'register-agent',
      'domedog',
      '--capabilities',
      'linux,image-render',
      '--slots',
      '4',
    ]);
    ({ task } = await hive.json<{ task: ApiTask }>([
      'intake-task',
      '--title',
      'render thumbnails',
      '--capabilities',
      'image-render',
    ]));
  });
  afterAll(() => hive.stop());

  it('show-task and cancel-task take a unique prefix of 6 or more characters', async () => {
    const shown = await hive.json<ShowTaskResponse>(['show-task', task.id.slice(0, 8)]);
    expect(shown.task.id).toBe(task.id);
    expect((await hive.json<ShowTaskResponse>(['show-task', task.id.slice(0, 6)])).task.id).toBe(task.id);
    const { task: other } = await hive.json<{ task: ApiTask }>([
      'intake-task',
      '--title',
      'to cancel',
      '--capabilities',
      'gpu',
    ]);
    const cancelled = await hive.json<{ task: ApiTask }>(['cancel-task', other.id.slice(0, 7)]);
    expect(cancelled.task).toMatchObject({ id: other.id, status: 'cancelled' });
  });

  it('a prefix under 6 characters, or one that matches nothing, is refused with its code and changes nothing', async () => {
    const short = await hive.colibri(['show-task', task.id.slice(0, 5), '--json']);
    expect(short.status).toBe(2);
    expect(JSON.parse(short.stdout).error).toMatchObject({ code: 'COLIBRI_ID_PREFIX_TOO_SHORT' });
    const human = await hive.colibri(['cancel-task', task.id.slice(0, 4)]);
    expect(human.status).toBe(2);
    expect(human.stderr).toBe(
      `colibri: task id prefix "${task.id.slice(0, 4)}" is too short: give at least 6 characters of the id [COLIBRI_ID_PREFIX_TOO_SHORT]\n`,
    );
    const { tasks } = await hive.json<{ tasks: ApiTask[] }>(['list-tasks']);
    const none = unusedPrefix(
      tasks.map((t) => t.id),
      6,
    );
    const missing = await hive.colibri(['show-task', none]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain(`no task id starts with "${none}" [COLIBRI_TASK_NOT_FOUND]`);
    expect((await hive.json<ShowTaskResponse>(['show-task', task.id])).task.status).toBe('assigned');
  });

  it('agent commands take the name or an id prefix; an agent token resolves only itself', async () => {
    const byName = await hive.json<{ agent: ApiAgent }>(['heartbeat', '--agent', 'domedog']);
    expect(byName.agent.id).toBe(agent.agent.id);
    const asAgent = { COLIBRI_TOKEN: agent.token };
    const polled = await hive.json<{ tasks: ApiTask[] }>(
      ['poll', '--agent', agent.agent.id.slice(0, 8)],
      asAgent,
    );
    expect(polled.tasks.map((t) => t.id)).toContain(task.id);
    expect(
      (await hive.json<{ tasks: ApiTask[] }>(['poll', '--agent', 'domedog'], asAgent)).tasks,
    ).toHaveLength(polled.tasks.length);
    const other = await hive.json<RegisterAgentResponse>([
      'register-agent',
      'osa',
      '--capabilities',
      'freebsd',
    ]);
    // Another agent's name through an agent token: refused as before, nothing revealed.
    const refused = await hive.colibri(['heartbeat', '--agent', 'osa'], asAgent);
    expect(refused.status).toBe(77);
    expect(refused.stderr).not.toContain(other.agent.id);
    const unknown = await hive.colibri(['heartbeat', '--agent', 'nobody']);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toContain('no agent is named "nobody" and no agent id starts with it');
  });

  it('tables show 8-character ids and agent names; --wide whole ids; --json always whole ids', async () => {
    const table = (await hive.colibri(['list-tasks', '--status', 'assigned'])).stdout;
    expect(table).toMatch(new RegExp(`^${task.id.slice(0, 8)} +assigned +0 +1/3 +domedog +- `, 'm'));
    expect(table).not.toContain(task.id);
    expect(table).not.toContain(agent.agent.id);
    const wide = (await hive.colibri(['list-tasks', '--status', 'assigned', '--wide'])).stdout;
    expect(wide).toContain(task.id);
    expect(wide).toMatch(new RegExp(`domedog +${agent.agent.id} `));
    const json = await hive.json<{ tasks: ApiTask[] }>(['list-tasks', '--status', 'assigned']);
    expect(json.tasks.find((t) => t.id === task.id)?.assignedAgentId).toBe(agent.agent.id);

    const agents = (await hive.colibri(['list-agents'])).stdout;
    expect(agents).toMatch(new RegExp(`^${agent.agent.id.slice(0, 8)} +domedog `, 'm'));
    expect(agents).not.toContain(agent.agent.id);
    expect((await hive.colibri(['list-agents', '--wide'])).stdout).toContain(agent.agent.id);

    const shown = (await hive.colibri(['show-task', task.id.slice(0, 8)])).stdout;
    expect(shown).toContain(`task         ${task.id}\n`);
    expect(shown).toContain(`agent        domedog (${agent.agent.id.slice(0, 8)})\n`);
    expect(shown).toMatch(/parked +assigned +1 +domedog /);
  });
});
