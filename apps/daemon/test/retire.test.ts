import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, eventually, raw, snapshot, startDaemon } from './daemon-harness.js';

describe('retiring agents and revoking join tokens', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h'] });
  });
  afterAll(() => daemon.dispose());

  it("a retired agent's token is refused at once; its tasks go to another agent; its name is free", async () => {
    const first = await daemon.operator.registerAgent({
      name: 'acme-1',
      capabilities: ['linux'],
      tenant: 'acme',
    });
    const agent = daemon.client(first.token);
    // The token is used (and cached by the daemon) before the retirement.
    expect((await agent.heartbeat(first.agent.id)).agent.status).toBe('idle');
    const { task } = await daemon.operator.intakeTask({
      title: 'a',
      requiredCapabilities: ['linux'],
      tenant: 'acme',
    });
    expect((await daemon.operator.showTask(task.id)).task.assignedAgentId).toBe(first.agent.id);

    const retired = await daemon.operator.retireAgent(first.agent.id, { reason: 'jail destroyed' });
    expect(retired.agent).toMatchObject({
      id: first.agent.id,
      name: 'acme-1',
      status: 'offline',
      spawnDepth: 0,
    });
    expect(retired.agent.retiredAt).not.toBeNull();
    expect(retired.requeued).toEqual([task.id]);
    expect(await codeOf(agent.heartbeat(first.agent.id))).toBe('COLIBRI_UNAUTHENTICATED');
    expect(await codeOf(agent.poll(first.agent.id))).toBe('COLIBRI_UNAUTHENTICATED');
    expect(await codeOf(agent.status())).toBe('COLIBRI_UNAUTHENTICATED');

    // Gone from the listing (on request still there), its name free for a successor that gets the task.
    expect((await daemon.operator.listAgents()).agents).toEqual([]);
    const all = (await daemon.operator.listAgents({ includeRetired: true })).agents;
    expect(all.map((a) => [a.name, a.retiredAt !== null])).toEqual([['acme-1', true]]);
    const second = await daemon.operator.registerAgent({
      name: 'acme-1',
      capabilities: ['linux'],
      tenant: 'acme',
    });
    await eventually(
      async () =>
        (await daemon.operator.showTask(task.id)).task.assignedAgentId === second.agent.id ? true : undefined,
      'the handed-back task to reach the successor',
    );
    expect((await daemon.operator.listAgents()).agents.map((a) => a.id)).toEqual([second.agent.id]);

    // Idempotent: nothing more is handed back.
    const again = await daemon.operator.retireAgent(first.agent.id, { reason: 'again' });
    expect(again).toMatchObject({ requeued: [], failed: [], agent: { retiredAt: retired.agent.retiredAt } });
    expect(daemon.logs()).toContain('agent retired: jail destroyed');
  });

  it('only the operator retires, with a reason; bad requests change nothing', async () => {
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'globex-1',
      capabilities: [],
      tenant: 'globex',
    });
    const before = await snapshot(daemon);
    expect(await codeOf(daemon.client(token).retireAgent(agent.id, { reason: 'me' }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    expect(await codeOf(daemon.operator.retireAgent(agent.id, { reason: ' ' }))).toBe(
      'COLIBRI_INVALID_INPUT',
    );
    expect(await codeOf(daemon.operator.retireAgent(agent.id, {} as never))).toBe('COLIBRI_INVALID_INPUT');
    const extra = await raw(daemon.socketPath, {
      method: 'POST',
      path: `/v1/agents/${agent.id}/retire`,
      headers: { authorization: `Bearer ${daemon.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x', force: true }),
    });
    expect(extra.status).toBe(400);
    expect(extra.text).toContain('force: unknown field');
    expect(
      await codeOf(daemon.operator.retireAgent('00000000-0000-4000-8000-000000000000', { reason: 'x' })),
    ).toBe('COLIBRI_AGENT_NOT_FOUND');
    expect(await snapshot(daemon)).toBe(before);
    expect((await daemon.client(token).heartbeat(agent.id)).agent.id).toBe(agent.id);
  });

  it('a revoked join token registers nothing; revoking twice or an unknown token says false', async () => {
    const join = await daemon.operator.createJoinToken({ tenant: 'initech', ttlSeconds: 600 });
    expect(await daemon.operator.revokeJoinToken(join.token)).toEqual({ revoked: true });
    expect(
      await codeOf(daemon.client(join.token).registerAgent({ name: 'initech-1', capabilities: [] })),
    ).toBe('COLIBRI_JOIN_TOKEN_INVALID');
    expect(await daemon.operator.revokeJoinToken(join.token)).toEqual({ revoked: false });
    expect(await daemon.operator.revokeJoinToken('never-issued')).toEqual({ revoked: false });
    expect((await daemon.operator.listAgents({ tenant: 'initech' })).agents).toEqual([]);

    // A used token is not touched.
    const used = await daemon.operator.createJoinToken({ tenant: 'initech', ttlSeconds: 600 });
    const { token } = await daemon.client(used.token).registerAgent({ name: 'initech-2', capabilities: [] });
    expect(await daemon.operator.revokeJoinToken(used.token)).toEqual({ revoked: false });
    expect((await daemon.client(token).status()).version).toBeTypeOf('string');
    expect(daemon.logs()).not.toContain(join.token);
  });

  it('only the operator revokes; bad bodies are refused', async () => {
    const { token } = await daemon.operator.registerAgent({
      name: 'hooli-1',
      capabilities: [],
      tenant: 'hooli',
    });
    const join = await daemon.operator.createJoinToken({ tenant: 'hooli', ttlSeconds: 600 });
    expect(await codeOf(daemon.client(token).revokeJoinToken(join.token))).toBe('COLIBRI_FORBIDDEN');
    for (const body of ['{}', '{"token":42}', '{"token":"a b"}', `{"token":"${join.token}","x":1}`]) {
      const answer = await raw(daemon.socketPath, {
        method: 'POST',
        path: '/v1/join-tokens/revoke',
        headers: { authorization: `Bearer ${daemon.operatorToken}`, 'content-type': 'application/json' },
        body,
      });
      expect(answer.status).toBe(400);
      expect(answer.text).not.toContain(join.token);
    }
    // Still usable: none of the refused requests revoked it.
    expect(
      (await daemon.client(join.token).registerAgent({ name: 'hooli-2', capabilities: [] })).agent.tenant,
    ).toBe('hooli');
  });
});
