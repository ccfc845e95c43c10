import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColibriClient, createClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import type { DestroyReport, HivePort, SpawnReport } from '@colibri/join';
import type { SpawnPolicy } from '@colibri/spawn-policy';
import { openStore, type Store } from '@colibri/store';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/hash-token.js';
import { DEFAULT_TIMING } from '../src/config/resolve-config.js';
import { createLogger } from '../src/logger.js';
import { type ColibriServer, createServer } from '../src/server/create-server.js';
import type { ServiceDestroyRequest, ServiceSpawnRequest, SpawnService } from '../src/spawn/spawn-service.js';
import { codeOf, raw } from './daemon-harness.js';

// The spawn routes in-process, with a fake SpawnService behind them (the real chain is the
// integration test's business): who may spawn and destroy what, and that a refusal runs nothing.

const root = mkdtempSync(join(tmpdir(), 'colibrid-spawn-routes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ACME_ONLY: SpawnPolicy = {
  maxChildren: 2,
  maxDepth: 1,
  allowedTenants: ['acme', 'globex'],
  allowSharedLane: false,
  allowedCapabilities: ['linux'],
};

/**
 * Plays the join chain just enough to be realistic: a join token from the hive port (so the
 * lineage the routes bound to it is what the child gets), the child registering with it through
 * colibrid's API, and a report. `hold` keeps a spawn in flight until released.
 */
class FakeSpawnService implements SpawnService {
  readonly driver = 'linux' as const;
  readonly spawns: ServiceSpawnRequest[] = [];
  readonly destroys: ServiceDestroyRequest[] = [];
  failWith: ColibriError | undefined;
  hold: Promise<void> | undefined;
  socketPath = '';

  async spawn(request: ServiceSpawnRequest, hive: HivePort): Promise<SpawnReport> {
    this.spawns.push(request);
    await this.hold;
    if (this.failWith !== undefined) throw this.failWith;
    const tenant = await hive.getTenant(request.tenant);
    const { token } = await hive.createJoinToken(request.tenant, 600);
    const { agent } = await createClient({ socketPath: this.socketPath, token }).registerAgent({
      name: request.agentName,
      capabilities: request.capabilities ?? [],
    });
    await hive.setTenantStatus(request.tenant, 'provisioned', 'fake provision');
    await hive.setTenantStatus(request.tenant, 'active', `agent ${agent.name} registered`);
    return {
      agentName: agent.name,
      tenant: request.tenant,
      jail: tenant.jail,
      driver: 'linux',
      outcome: 'spawned',
      agentId: agent.id,
      steps: [{ step: 'preflight', status: 'done', durationMs: 1, detail: 'fake' }],
    };
  }

  async destroy(request: ServiceDestroyRequest, hive: HivePort): Promise<DestroyReport> {
    this.destroys.push(request);
    const agent = await hive.findAgent(request.agentName);
    if (agent !== undefined) await hive.retireAgent(agent.id, 'fake destroy');
    return {
      agentName: request.agentName,
      tenant: request.tenant,
      jail: (await hive.getTenant(request.tenant)).jail,
      outcome: agent === undefined ? 'absent' : 'destroyed',
      steps: [],
    };
  }
}

interface Harness {
  readonly store: Store;
  readonly operator: ColibriClient;
  readonly socketPath: string;
  readonly operatorToken: string;
  readonly fake: FakeSpawnService;
  as(token: string): ColibriClient;
  /** Registers an agent with the operator token and returns a client acting as it. */
  agent(name: string, tenant: string | null): Promise<{ id: string; client: ColibriClient }>;
  logs(): string;
}

const servers: { server: ColibriServer; store: Store }[] = [];
afterEach(async () => {
  for (const { server, store } of servers.splice(0)) {
    await server.close();
    await store.close();
  }
});

let n = 0;
async function start(options: { policy?: SpawnPolicy; spawner?: boolean } = {}): Promise<Harness> {
  const dir = join(root, `d${++n}`);
  const store = await openStore({ driver: 'sqlite', path: join(dir, 'colibri.db') });
  const logPath = join(dir, 'colibrid.log');
  const fake = new FakeSpawnService();
  const operatorToken = `operator-token-${n}-0123456789abcdef`;
  const server = createServer({
    store,
    logger: createLogger('debug', logPath),
    operatorToken,
    version: '0.0.0-test',
    timing: { ...DEFAULT_TIMING, heartbeatTtlMs: 3_600_000 },
    ...(options.spawner === false ? {} : { spawner: fake }),
    ...(options.policy === undefined ? {} : { spawnPolicy: options.policy }),
  });
  servers.push({ server, store });
  const socketPath = join(dir, 'colibri.sock');
  await server.listen({ socketPath });
  fake.socketPath = socketPath;
  const operator = createClient({ socketPath, token: operatorToken });
  for (const tenant of ['acme', 'globex']) await operator.registerTenant({ tenant });
  return {
    store,
    operator,
    socketPath,
    operatorToken,
    fake,
    as: (token) => createClient({ socketPath, token }),
    async agent(name, tenant) {
      const { agent, token } = await operator.registerAgent({ name, capabilities: ['linux'], tenant });
      return { id: agent.id, client: createClient({ socketPath, token }) };
    },
    logs: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
  };
}

async function rejection(promise: Promise<unknown>): Promise<ColibriError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ColibriError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('POST /v1/spawn', () => {
  it('the operator may spawn whatever the policy says (it writes the policy): no lineage', async () => {
    const h = await start();
    const report = await h.operator.spawnAgent({ name: 'acme-1', tenant: 'acme' });
    expect(report).toMatchObject({ agentName: 'acme-1', tenant: 'acme', jail: 'acme', outcome: 'spawned' });
    expect(h.fake.spawns).toEqual([
      {
        agentName: 'acme-1',
        tenant: 'acme',
        capabilities: null,
        lineage: { spawnedBy: null, spawnDepth: 0 },
      },
    ]);
    const child = await h.store.getAgent(report.agentId);
    expect(child).toMatchObject({ tenant: 'acme', spawnedBy: null, spawnDepth: 0 });
  });

  it('a mother the policy allows spawns a child of her own tenant at her depth + 1', async () => {
    const h = await start({ policy: ACME_ONLY });
    const mother = await h.agent('acme-mother', 'acme');
    const report = await mother.client.spawnAgent({
      name: 'acme-child',
      tenant: 'acme',
      capabilities: ['linux'],
    });
    expect(h.fake.spawns).toEqual([
      {
        agentName: 'acme-child',
        tenant: 'acme',
        capabilities: ['linux'],
        lineage: { spawnedBy: mother.id, spawnDepth: 1 },
      },
    ]);
    expect(await h.store.getAgent(report.agentId)).toMatchObject({
      name: 'acme-child',
      tenant: 'acme',
      spawnedBy: mother.id,
      spawnDepth: 1,
    });
    const listed = (await h.operator.listAgents({ tenant: 'acme' })).agents.find(
      (a) => a.name === 'acme-child',
    );
    expect(listed).toMatchObject({ spawnedBy: mother.id, spawnDepth: 1, retiredAt: null });
    expect(h.logs()).toContain('spawn allowed by the spawn policy');
  });

  it('the default policy refuses every mother with every reason, logged, and runs nothing', async () => {
    const h = await start();
    const mother = await h.agent('acme-mother', 'acme');
    const before = JSON.stringify(await h.operator.listAgents({ includeRetired: true }));
    const refused = await rejection(
      mother.client.spawnAgent({ name: 'acme-child', tenant: 'acme', capabilities: ['linux'] }),
    );
    expect(refused.code).toBe('COLIBRI_SPAWN_POLICY_DENIED');
    expect(refused.details.status).toBe(403);
    const reasons = refused.details.reasons as string[];
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/self-replication is disabled/),
        expect.stringMatching(/tenant acme is not in the policy's allowedTenants/),
        expect.stringMatching(/capabilities not in the policy's allowedCapabilities: linux/),
      ]),
    );
    for (const reason of reasons) expect(refused.message).toContain(reason);
    expect(h.fake.spawns).toEqual([]);
    expect(JSON.stringify(await h.operator.listAgents({ includeRetired: true }))).toBe(before);
    expect(h.logs()).toContain('spawn refused by the spawn policy');
    expect(h.logs()).toContain('self-replication is disabled');
  });

  it("a tenant's agent can never spawn for another tenant, even one the policy lists", async () => {
    const h = await start({ policy: ACME_ONLY });
    const mother = await h.agent('acme-mother', 'acme');
    const refused = await rejection(
      mother.client.spawnAgent({ name: 'globex-child', tenant: 'globex', capabilities: ['linux'] }),
    );
    expect(refused.code).toBe('COLIBRI_SPAWN_POLICY_DENIED');
    expect(refused.details.reasons).toEqual([
      'acme-mother belongs to tenant acme and may only spawn agents of that tenant, not globex',
    ]);
    expect(h.fake.spawns).toEqual([]);
    // A shared (operator-owned) mother may, where the policy lists the tenant.
    const shared = await h.agent('lane-mother', null);
    await shared.client.spawnAgent({ name: 'globex-child', tenant: 'globex', capabilities: ['linux'] });
    expect(h.fake.spawns.map((s) => s.tenant)).toEqual(['globex']);
  });

  it('counts a mother’s live children across calls; a destroyed child frees a place', async () => {
    const h = await start({ policy: ACME_ONLY });
    const mother = await h.agent('acme-mother', 'acme');
    const spawn = (name: string) =>
      mother.client.spawnAgent({ name, tenant: 'acme', capabilities: ['linux'] });
    await spawn('acme-c1');
    await spawn('acme-c2');
    const third = await rejection(spawn('acme-c3'));
    expect(third.code).toBe('COLIBRI_SPAWN_POLICY_DENIED');
    expect(third.details.reasons).toEqual([
      'acme-mother already has 2 child(ren) alive; the policy allows at most 2',
    ]);
    expect(h.fake.spawns.map((s) => s.agentName)).toEqual(['acme-c1', 'acme-c2']);
    // Another mother's children do not count against this one.
    const sister = await h.agent('acme-sister', 'acme');
    await sister.client.spawnAgent({ name: 'acme-s1', tenant: 'acme', capabilities: ['linux'] });

    expect((await mother.client.destroyAgent('acme-c1')).outcome).toBe('destroyed');
    await spawn('acme-c3');
    expect(await h.store.countChildren(mother.id)).toBe(2);
  });

  it('a child at the deepest allowed generation may not spawn', async () => {
    const h = await start({ policy: ACME_ONLY });
    const mother = await h.agent('acme-mother', 'acme');
    // A child of hers with a token we hold: registered with a join token carrying her lineage.
    await h.store.createJoinToken({
      tokenHash: hashToken('child-join-token-0123456789'),
      tenant: 'acme',
      expiresAt: new Date(Date.now() + 600_000),
      spawnedBy: mother.id,
    });
    const child = await h
      .as('child-join-token-0123456789')
      .registerAgent({ name: 'acme-child', capabilities: [] });
    expect(child.agent).toMatchObject({ spawnedBy: mother.id, spawnDepth: 1 });
    const refused = await rejection(
      h.as(child.token).spawnAgent({ name: 'acme-grandchild', tenant: 'acme', capabilities: ['linux'] }),
    );
    expect(refused.code).toBe('COLIBRI_SPAWN_POLICY_DENIED');
    expect(refused.details.reasons).toEqual([
      'a child of acme-child would be at depth 2; the policy allows at most depth 1',
    ]);
    expect(h.fake.spawns).toEqual([]);
  });

  it('spawns in flight count as children: two racing requests cannot both squeeze under maxChildren', async () => {
    const h = await start({ policy: { ...ACME_ONLY, maxChildren: 1 } });
    const mother = await h.agent('acme-mother', 'acme');
    let release!: () => void;
    h.fake.hold = new Promise((resolve) => {
      release = resolve;
    });
    const first = mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme', capabilities: ['linux'] });
    for (let i = 0; i < 400 && h.fake.spawns.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.fake.spawns).toHaveLength(1);
    const second = await rejection(
      mother.client.spawnAgent({ name: 'acme-c2', tenant: 'acme', capabilities: ['linux'] }),
    );
    expect(second.details.reasons).toEqual([
      'acme-mother already has 1 child(ren) alive; the policy allows at most 1',
    ]);
    release();
    expect((await first).agentName).toBe('acme-c1');
    expect(h.fake.spawns).toHaveLength(1);
  });

  it("a failed spawn answers the chain's own code with its steps and rollback, and frees its place", async () => {
    const h = await start({ policy: { ...ACME_ONLY, maxChildren: 1 } });
    const mother = await h.agent('acme-mother', 'acme');
    h.fake.failWith = new ColibriError(
      'COLIBRI_VAULT_SYNC_FAILED',
      'spawn of acme-c1 failed at provision: bw sync failed; rolled back: destroy jail',
      {
        step: 'provision',
        steps: [{ step: 'provision', status: 'failed', durationMs: 3, detail: 'bw sync failed' }],
        rollback: [{ action: 'destroy jail', status: 'done', detail: 'jail acme destroyed' }],
      },
    );
    const failed = await rejection(
      mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme', capabilities: ['linux'] }),
    );
    expect(failed.code).toBe('COLIBRI_VAULT_SYNC_FAILED');
    expect(failed.details).toMatchObject({
      status: 503,
      step: 'provision',
      rollback: [{ action: 'destroy jail', status: 'done' }],
    });
    h.fake.failWith = undefined;
    expect(
      (await mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme', capabilities: ['linux'] })).outcome,
    ).toBe('spawned');
  });

  it('bad bodies are refused with 400 and run nothing', async () => {
    const h = await start({ policy: ACME_ONLY });
    const mother = await h.agent('acme-mother', 'acme');
    const bodies: unknown[] = [
      {},
      { name: 'acme-1' },
      { name: '../x', tenant: 'acme' },
      { name: 'acme-1', tenant: 'ALL' },
      { name: 'acme-1', tenant: 'acme', jail: 'other' },
      { name: 'acme-1', tenant: 'acme', capabilities: ['Linux'] },
      { name: 'acme-1', tenant: 'acme', capabilities: 'linux' },
    ];
    for (const body of bodies) {
      const answer = await raw(h.socketPath, {
        method: 'POST',
        path: '/v1/spawn',
        headers: { authorization: `Bearer ${h.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    const unlisted = await rejection(mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme' }));
    expect(unlisted.code).toBe('COLIBRI_INVALID_INPUT');
    expect(unlisted.message).toMatch(/a mother must list the child's capabilities/);
    expect(await codeOf(h.as('not-a-token-at-all-0123').spawnAgent({ name: 'x', tenant: 'acme' }))).toBe(
      'COLIBRI_UNAUTHENTICATED',
    );
    expect(h.fake.spawns).toEqual([]);
    expect((await h.operator.listAgents()).agents.map((a) => a.name)).toEqual(['acme-mother']);
  });

  it('without a spawner, spawning says how to start colibrid with one (the policy is still asked first)', async () => {
    const h = await start({ spawner: false, policy: ACME_ONLY });
    const failed = await rejection(h.operator.spawnAgent({ name: 'acme-1', tenant: 'acme' }));
    expect(failed.code).toBe('COLIBRI_SPAWN_FAILED');
    expect(failed.message).toMatch(
      /this colibrid has no spawner: start it with --spawn-driver linux\|bastille/,
    );
    expect(failed.details.status).toBe(503);
    const mother = await h.agent('acme-mother', 'acme');
    expect(
      await codeOf(mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme', capabilities: ['linux'] })),
    ).toBe('COLIBRI_SPAWN_FAILED');
    expect(
      await codeOf(mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme', capabilities: ['gpu'] })),
    ).toBe('COLIBRI_SPAWN_POLICY_DENIED');
    expect(await codeOf(h.operator.destroyAgent('acme-1'))).toBe('COLIBRI_SPAWN_FAILED');
    expect(h.fake.spawns).toEqual([]);
  });
});

describe('POST /v1/spawn/destroy', () => {
  it('a mother destroys only her own children; the operator destroys any agent', async () => {
    const h = await start({ policy: ACME_ONLY });
    const mother = await h.agent('acme-mother', 'acme');
    const sister = await h.agent('acme-sister', 'acme');
    await mother.client.spawnAgent({ name: 'acme-c1', tenant: 'acme', capabilities: ['linux'] });
    await sister.client.spawnAgent({ name: 'acme-s1', tenant: 'acme', capabilities: ['linux'] });

    const notHers = await rejection(mother.client.destroyAgent('acme-s1'));
    expect(notHers.code).toBe('COLIBRI_FORBIDDEN');
    expect(notHers.message).toMatch(/only the agents it spawned, and acme-s1 is not one of its children/);
    expect(await codeOf(mother.client.destroyAgent('acme-sister'))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(mother.client.destroyAgent('acme-mother'))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(mother.client.destroyAgent('nobody'))).toBe('COLIBRI_FORBIDDEN');
    expect(await codeOf(mother.client.destroyAgent('acme-c1', { tenant: 'globex' }))).toBe(
      'COLIBRI_FORBIDDEN',
    );
    expect(h.fake.destroys).toEqual([]);

    expect(await mother.client.destroyAgent('acme-c1')).toMatchObject({
      outcome: 'destroyed',
      tenant: 'acme',
    });
    expect(await h.operator.destroyAgent('acme-s1')).toMatchObject({ outcome: 'destroyed' });
    expect(await h.operator.destroyAgent('ghost', { tenant: 'globex' })).toMatchObject({ outcome: 'absent' });
    expect(h.fake.destroys).toEqual([
      { agentName: 'acme-c1', tenant: 'acme' },
      { agentName: 'acme-s1', tenant: 'acme' },
      { agentName: 'ghost', tenant: 'globex' },
    ]);
    expect((await h.operator.listAgents()).agents.map((a) => a.name)).toEqual(['acme-mother', 'acme-sister']);
    // A destroyed child is gone, so destroying it again is no longer the mother's business.
    expect(await codeOf(mother.client.destroyAgent('acme-c1'))).toBe('COLIBRI_FORBIDDEN');
  });

  it('refuses bad bodies and shared-lane agents, running nothing', async () => {
    const h = await start({ policy: ACME_ONLY });
    await h.agent('lane-1', null);
    for (const body of [{}, { name: '../x' }, { name: 'a', tenant: '../x' }, { name: 'a', force: true }]) {
      const answer = await raw(h.socketPath, {
        method: 'POST',
        path: '/v1/spawn/destroy',
        headers: { authorization: `Bearer ${h.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    const shared = await rejection(h.operator.destroyAgent('lane-1'));
    expect(shared.code).toBe('COLIBRI_INVALID_INPUT');
    expect(shared.message).toMatch(/shared-lane agent/);
    expect(h.fake.destroys).toEqual([]);
  });
});
