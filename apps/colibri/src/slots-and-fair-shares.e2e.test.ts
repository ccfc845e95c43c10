// Agent slots and fair shares with real processes: a real colibrid, `colibri run-agent` children
// running shell handlers, and the CLI. Nothing here waits a fixed time: each step waits for the
// event or state it needs (bounded by a failure guard), and the gates are files the test creates.
import { writeFileSync } from 'node:fs';
import type { ApiAgent, ApiTask } from '@colibri/api';
import { createClient } from '@colibri/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHome,
  type AgentProcess,
  createAgentHome,
  startAgentProcess,
} from './testing/agent-process.test-helper.js';
import { cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

const agentEnv = (hive: Hive, home: AgentHome) =>
  cleanEnv({ COLIBRI_HOME: hive.home, HOME: home.home, PATH: `${home.binDir}:/usr/bin:/bin` });

/** A handler that sleeps until `<file>` exists, then answers `{ "released": true }`. */
const gate = (file: string) =>
  `#!/bin/sh\ncat > /dev/null\nwhile [ ! -e '${file}' ]; do sleep 0.02; done\necho '{"released":true}'\n`;

describe('agent slots and fair shares (real processes)', { timeout: 180_000 }, () => {
  let hive: Hive;
  const homes: AgentHome[] = [];
  const agents: AgentProcess[] = [];
  const start = (args: readonly string[], home: AgentHome) => {
    const agent = startAgentProcess(args, agentEnv(hive, home));
    agents.push(agent);
    return agent;
  };
  const newHome = () => {
    const home = createAgentHome();
    homes.push(home);
    return home;
  };

  beforeEach(async () => {
    hive = await startHive();
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
    await hive.stop();
    for (const home of homes.splice(0)) home.dispose();
  });

  it('an agent with --slots 3 runs 3 sleeping handlers at once; the 4th waits parked until a slot frees', async () => {
    const home = newHome();
    home.handler('sleep', gate(home.path('wake')));
    const agent = start(['--name', 'triple', '--capabilities', 'linux', '--slots', '3'], home);
    const { agentId } = (await agent.waitFor('registered')) as unknown as { agentId: string };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { task } = await hive.json<{ task: ApiTask }>([
        'intake-task',
        '--title',
        `sleep ${i}`,
        '--capabilities',
        'linux',
        '--payload',
        '{"handler":"sleep"}',
      ]);
      ids.push(task.id);
    }
    for (const id of ids.slice(0, 3)) await agent.waitFor('task-started', (l) => l.taskId === id);
    // The daemon holds the 4th back: it knows the agent's 3 slots are in use.
    const fourth = await hive.json<{ task: ApiTask }>(['show-task', ids[3]!]);
    expect(fourth.task).toMatchObject({ status: 'parked', assignedAgentId: null });
    const { agents: listed } = await hive.json<{ agents: ApiAgent[] }>(['list-agents']);
    expect(listed.find((a) => a.id === agentId)).toMatchObject({ slots: 3, activeTasks: 3 });
    expect(agent.lines.filter((l) => l.type === 'task-started')).toHaveLength(3);
    const table = await hive.colibri(['list-agents']);
    expect(table.stdout).toMatch(/ 3\/3 /);

    writeFileSync(home.path('wake'), '');
    await agent.waitFor('task-started', (l) => l.taskId === ids[3]);
    for (const id of ids) await agent.waitFor('report-delivered', (l) => l.taskId === id && l.to === 'done');
    // The 4th started only after one of the first three was reported done.
    const firstDone = agent.lines.findIndex((l) => l.type === 'report-delivered' && l.to === 'done');
    const fourthStarted = agent.lines.findIndex((l) => l.type === 'task-started' && l.taskId === ids[3]);
    expect(firstDone).toBeGreaterThanOrEqual(0);
    expect(fourthStarted).toBeGreaterThan(firstDone);
  });

  it("fair shares: tenant B's single task is among the first done behind tenant A's 200", async () => {
    const home = newHome();
    home.handler('work', gate(home.path('go')));
    // One shared agent (it serves every tenant), one slot.
    const agent = start(['--name', 'shared-1', '--capabilities', 'linux'], home);
    await agent.waitFor('registered');
    const operator = createClient({ socketPath: hive.socket, token: hive.operatorToken });
    const intake = (tenant: string, i: number) =>
      operator.intakeTask({
        title: `${tenant} ${i}`,
        tenant,
        requiredCapabilities: ['linux'],
        payload: { handler: 'work' },
      });
    const a: string[] = [];
    for (let i = 0; i < 200; i++) a.push((await intake('tenant-a', i)).task.id);
    const b = (await intake('tenant-b', 0)).task.id;
    // Everything is queued behind the one slot before the first handler may finish.
    expect((await operator.showTask(b)).task.status).toBe('parked');
    writeFileSync(home.path('go'), '');
    await agent.waitFor('report-delivered', (l) => l.taskId === b && l.to === 'done');
    const order = agent.lines
      .filter((l) => l.type === 'report-delivered' && l.to === 'done')
      .map((l) => l.taskId as string);
    // A's oldest held the slot; the next turn was B's (never served) before A's 199 others.
    expect(order.indexOf(b)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(b)).toBeLessThan(3);
    expect(order[0]).toBe(a[0]);
  });
});
