import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, snapshot, startDaemon } from './daemon-harness.js';

describe('join tokens', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon();
  });
  afterAll(() => daemon.dispose());

  it("register exactly one agent, forced into the token's tenant", async () => {
    const join = await daemon.operator.createJoinToken({ tenant: 'acme', ttlSeconds: 600 });
    expect(join.tenant).toBe('acme');
    expect(Date.parse(join.expiresAt)).toBeGreaterThan(Date.now());
    const joiner = daemon.client(join.token);
    // Not usable for anything but registration.
    expect(await codeOf(joiner.status())).toBe('COLIBRI_UNAUTHENTICATED');
    expect(await codeOf(joiner.listTasks())).toBe('COLIBRI_UNAUTHENTICATED');
    // A different tenant (or a shared lane) is refused and does not use the token up.
    expect(await codeOf(joiner.registerAgent({ name: 'acme-x', capabilities: [], tenant: 'globex' }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    expect(await codeOf(joiner.registerAgent({ name: 'acme-x', capabilities: [], tenant: null }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    const { agent, token } = await joiner.registerAgent({ name: 'acme-jail', capabilities: ['linux'] });
    expect(agent.tenant).toBe('acme');
    expect((await daemon.client(token).heartbeat(agent.id)).agent.id).toBe(agent.id);

    const before = await snapshot(daemon);
    expect(await codeOf(joiner.registerAgent({ name: 'acme-jail-2', capabilities: ['linux'] }))).toBe(
      'COLIBRI_JOIN_TOKEN_INVALID',
    );
    expect(await snapshot(daemon)).toBe(before);
  });

  it('an expired join token registers nothing', async () => {
    const join = await daemon.operator.createJoinToken({ tenant: 'globex', ttlSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await codeOf(daemon.client(join.token).registerAgent({ name: 'late', capabilities: [] }))).toBe(
      'COLIBRI_JOIN_TOKEN_INVALID',
    );
    expect((await daemon.operator.listAgents({ tenant: 'globex' })).agents).toEqual([]);
  });

  it('refuses bad join-token requests', async () => {
    expect(await codeOf(daemon.operator.createJoinToken({ tenant: '../etc' }))).toBe('COLIBRI_INVALID_INPUT');
    expect(await codeOf(daemon.operator.createJoinToken({ tenant: 'acme', ttlSeconds: 0 }))).toBe(
      'COLIBRI_INVALID_INPUT',
    );
    expect(await codeOf(daemon.operator.createJoinToken({ tenant: 'acme', ttlSeconds: 10 ** 9 }))).toBe(
      'COLIBRI_INVALID_INPUT',
    );
  });
});
