import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, raw, snapshot, startDaemon } from './daemon-harness.js';

describe('authentication and authorization', () => {
  let daemon: Daemon;
  const agents: Record<string, { id: string; token: string }> = {};
  let acmeTask: string;
  let globexTask: string;
  let sharedTask: string;

  beforeAll(async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h'] });
    const register = async (name: string, tenant: string | null) => {
      const { agent, token } = await daemon.operator.registerAgent({ name, capabilities: ['linux'], tenant });
      agents[name] = { id: agent.id, token };
    };
    await register('acme-1', 'acme');
    await register('acme-2', 'acme');
    await register('globex-1', 'globex');
    globexTask = (
      await daemon.operator.intakeTask({ title: 'g', requiredCapabilities: ['linux'], tenant: 'globex' })
    ).task.id;
    acmeTask = (
      await daemon.operator.intakeTask({ title: 'a', requiredCapabilities: ['linux'], tenant: 'acme' })
    ).task.id;
    // An operator task: only shared agents may take it, and there are none, so it stays parked.
    sharedTask = (await daemon.operator.intakeTask({ title: 's', requiredCapabilities: ['linux'] })).task.id;
  });
  afterAll(() => daemon.dispose());

  const as = (name: string) => daemon.client(agents[name]!.token);

  it("routes a tenant's task only to its own agents", async () => {
    expect((await daemon.operator.showTask(globexTask)).task.assignedAgentId).toBe(agents['globex-1']!.id);
    expect([agents['acme-1']!.id, agents['acme-2']!.id]).toContain(
      (await daemon.operator.showTask(acmeTask)).task.assignedAgentId,
    );
    expect((await daemon.operator.showTask(sharedTask)).task.status).toBe('parked');
  });

  it('refuses requests without a token or with a wrong one (401), on every route', async () => {
    const before = await snapshot(daemon);
    const routes: [string, string][] = [
      ['GET', '/v1/status'],
      ['GET', '/v1/agents'],
      ['POST', '/v1/agents'],
      ['POST', `/v1/agents/${agents['acme-1']!.id}/heartbeat`],
      ['POST', `/v1/agents/${agents['acme-1']!.id}/poll`],
      ['PUT', `/v1/agents/${agents['acme-1']!.id}/capabilities`],
      ['POST', '/v1/tasks'],
      ['GET', '/v1/tasks'],
      ['GET', `/v1/tasks/${acmeTask}`],
      ['POST', `/v1/tasks/${acmeTask}/transition`],
      ['POST', '/v1/join-tokens'],
      ['GET', '/metrics'],
      ['GET', '/v1/openapi.json'],
    ];
    for (const [method, path] of routes) {
      for (const headers of [
        {},
        { authorization: 'Bearer wrong-token-wrong-token-wrong-token' },
        { authorization: `Basic ${daemon.operatorToken}` },
        { authorization: `Bearer ${daemon.operatorToken}x` },
      ]) {
        const body =
          method === 'GET' ? undefined : JSON.stringify({ name: 'evil', capabilities: [], to: 'done' });
        const answer = await raw(daemon.socketPath, {
          method,
          path,
          headers: { ...headers, 'content-type': 'application/json' },
          ...(body !== undefined ? { body } : {}),
        });
        expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect((answer.json as { error: { code: string } }).error.code).toMatch(
          /^COLIBRI_(UNAUTHENTICATED|JOIN_TOKEN_INVALID)$/,
        );
      }
    }
    expect(await snapshot(daemon)).toBe(before);
  });

  it("refuses an agent moving another agent's task (403), changing nothing", async () => {
    const before = await snapshot(daemon);
    const task = await daemon.operator.showTask(acmeTask);
    const holder = task.task.assignedAgentId === agents['acme-1']!.id ? 'acme-1' : 'acme-2';
    const other = holder === 'acme-1' ? 'acme-2' : 'acme-1';
    expect(await codeOf(as(other).transitionTask(acmeTask, { to: 'done', attempt: 1 }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    expect(await codeOf(as('globex-1').transitionTask(acmeTask, { to: 'done', attempt: 1 }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    // Even its own task needs the fencing token.
    expect(await codeOf(as(holder).transitionTask(acmeTask, { to: 'done' }))).toBe('COLIBRI_INVALID_INPUT');
    expect(await snapshot(daemon)).toBe(before);
  });

  it("refuses a tenant agent polling, reading or listing another tenant's work (403)", async () => {
    const before = await snapshot(daemon);
    const acme = as('acme-1');
    expect(await codeOf(acme.poll(agents['globex-1']!.id))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.showTask(globexTask))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.showTask(sharedTask))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.listTasks({ tenant: 'globex' }))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.heartbeat(agents['globex-1']!.id))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.updateCapabilities(agents['acme-2']!.id, ['gpu']))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.intakeTask({ title: 'x', requiredCapabilities: [], tenant: 'globex' }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    expect(await codeOf(acme.intakeTask({ title: 'x', requiredCapabilities: [], tenant: null }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    // Operator-only routes.
    expect(await codeOf(acme.listAgents())).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.registerAgent({ name: 'sneaky', capabilities: [] }))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.createJoinToken({ tenant: 'acme' }))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(acme.metrics())).toBe('COLIBRI_FORBIDDEN');
    expect(await snapshot(daemon)).toBe(before);
  });

  it('lets an agent act within its own tenant only', async () => {
    const acme = as('acme-2');
    const { tasks } = await acme.listTasks();
    expect(tasks.every((t) => t.tenant === 'acme')).toBe(true);
    expect(tasks.map((t) => t.id)).toContain(acmeTask);
    const intake = await acme.intakeTask({ title: 'mine', requiredCapabilities: ['linux'] });
    expect(intake.task.tenant).toBe('acme');
    expect((await acme.showTask(intake.task.id)).task.id).toBe(intake.task.id);
    const status = await acme.status();
    expect(status.agents).toMatchObject({ idle: expect.any(Number) });
    expect(status.agents.idle + status.agents.active + status.agents.offline).toBe(2);
    expect((await acme.heartbeat(agents['acme-2']!.id)).agent.name).toBe('acme-2');
  });

  it('lets a shared agent take in only tasks without a tenant', async () => {
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'lane',
      capabilities: ['lane-only'],
    });
    agents.lane = { id: agent.id, token };
    const lane = daemon.client(token);
    expect(await codeOf(lane.intakeTask({ title: 'x', requiredCapabilities: [], tenant: 'acme' }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    expect(
      (await lane.intakeTask({ title: 'ops', requiredCapabilities: ['lane-only'] })).task.tenant,
    ).toBeNull();
    expect(await codeOf(lane.showTask(acmeTask))).toBe('COLIBRI_FORBIDDEN');
  });

  it('never writes a token to the log', async () => {
    const logs = daemon.logs();
    expect(logs).toContain('agent registered');
    expect(logs).not.toContain(daemon.operatorToken);
    for (const { token } of Object.values(agents)) expect(logs).not.toContain(token);
    expect(logs.toLowerCase()).not.toContain('bearer');
  });
});
