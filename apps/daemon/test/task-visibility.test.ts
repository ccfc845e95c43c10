import type { ColibriClient } from '@colibri/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, startDaemon } from './daemon-harness.js';

// GET /v1/tasks must show a principal exactly the tasks GET /v1/tasks/:id lets it read: the list
// once leaked other shared agents' payloads and results (issue 12, item 7).
describe('task visibility: the list applies the rule of show', () => {
  let daemon: Daemon;
  const principals: Record<string, ColibriClient> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h'] });
    const register = async (name: string, capability: string, tenant: string | null) => {
      const { agent, token } = await daemon.operator.registerAgent({
        name,
        capabilities: [capability],
        tenant,
        slots: 8,
      });
      principals[name] = daemon.client(token);
      return agent.id;
    };
    const agentIds = {
      s1: await register('s1', 'a', null),
      s2: await register('s2', 'b', null),
      acme: await register('acme-1', 'c', 'acme'),
      globex: await register('globex-1', 'd', 'globex'),
    };
    principals.operator = daemon.operator;
    const intake = async (name: string, tag: string, tenant: string | null, expected: string | null) => {
      const { task } = await daemon.operator.intakeTask({
        title: name,
        requiredCapabilities: [tag],
        tenant,
        payload: { secret: name },
      });
      expect(task.assignedAgentId, name).toBe(expected);
      ids[name] = task.id;
    };
    await intake('shared-of-s2', 'b', null, agentIds.s2);
    await intake('shared-of-s1', 'a', null, agentIds.s1);
    await intake('acme-on-s1', 'a', 'acme', agentIds.s1); // a shared lane serving a tenant
    await intake('acme-on-acme', 'c', 'acme', agentIds.acme);
    await intake('globex-on-globex', 'd', 'globex', agentIds.globex);
    await intake('shared-parked', 'nobody-has-this', null, null);
    await intake('acme-parked', 'nobody-has-this', 'acme', null);
    // s2 finishes its task with a result: the reproduction from the audit.
    await principals.s2!.transitionTask(ids['shared-of-s2']!, {
      to: 'done',
      attempt: 1,
      result: { secret: 42 },
    });
  });
  afterAll(() => daemon.dispose());

  const expected: Record<string, string[]> = {
    operator: [
      'shared-of-s2',
      'shared-of-s1',
      'acme-on-s1',
      'acme-on-acme',
      'globex-on-globex',
      'shared-parked',
      'acme-parked',
    ],
    s1: ['shared-of-s1', 'acme-on-s1'],
    s2: ['shared-of-s2'],
    'acme-1': ['acme-on-s1', 'acme-on-acme', 'acme-parked'],
    'globex-1': ['globex-on-globex'],
  };

  for (const who of Object.keys(expected)) {
    it(`${who}: lists exactly the tasks it may show`, async () => {
      const client = principals[who]!;
      const readable: string[] = [];
      for (const [name, id] of Object.entries(ids)) {
        const code = await codeOf(client.showTask(id));
        expect(['resolved', 'COLIBRI_FORBIDDEN'], `${who} show ${name}`).toContain(code);
        if (code === 'resolved') readable.push(name);
      }
      const { tasks } = await client.listTasks();
      const listed = tasks.map((t) => Object.entries(ids).find(([, id]) => id === t.id)?.[0] ?? t.id);
      expect(readable.sort()).toEqual([...expected[who]!].sort());
      expect(listed.sort()).toEqual(readable.sort());
    });
  }

  it('keeps filters inside the visible set', async () => {
    const names = (tasks: { id: string }[]) =>
      tasks.map((t) => Object.entries(ids).find(([, id]) => id === t.id)?.[0]).sort();
    expect(names((await principals.s1!.listTasks({ tenant: 'acme' })).tasks)).toEqual(['acme-on-s1']);
    expect(names((await principals.s2!.listTasks({ status: 'done' })).tasks)).toEqual(['shared-of-s2']);
    expect((await principals.s1!.listTasks({ status: 'done' })).tasks).toEqual([]);
    expect(names((await principals['acme-1']!.listTasks({ status: 'parked' })).tasks)).toEqual([
      'acme-parked',
    ]);
    expect(await codeOf(principals['acme-1']!.listTasks({ tenant: 'globex' }))).toBe('COLIBRI_FORBIDDEN');
  });
});
