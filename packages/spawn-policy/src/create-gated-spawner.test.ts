import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import {
  type AgentSpawner,
  type AgentSpawnRequest,
  createGatedSpawner,
  type SpawnGateEvent,
} from './create-gated-spawner.js';
import type { SpawnParent } from './evaluate-spawn-request.js';
import { DEFAULT_SPAWN_POLICY, type SpawnPolicy } from './spawn-policy.js';

const policy: SpawnPolicy = {
  maxChildren: 1,
  maxDepth: 1,
  allowedTenants: ['acme'],
  allowSharedLane: false,
  allowedCapabilities: ['linux'],
};

function setup(options: { policy?: SpawnPolicy; parent?: Partial<SpawnParent>; inner?: AgentSpawner } = {}) {
  const calls: AgentSpawnRequest[] = [];
  const events: SpawnGateEvent[] = [];
  const inner: AgentSpawner = options.inner ?? {
    async spawnAgent(request) {
      calls.push(request);
      return { agentName: request.name };
    },
  };
  const parent: SpawnParent = {
    name: 'acme-queen',
    tenant: 'acme',
    depth: 0,
    childrenAlive: 0,
    ...options.parent,
  };
  const gated = createGatedSpawner({
    policy: options.policy ?? policy,
    spawner: inner,
    parent: () => parent,
    log: (event) => events.push(event),
  });
  return { gated, calls, events };
}

const child = { name: 'acme-worker-1', tenant: 'acme', capabilities: ['linux'], depth: 1 };

describe('createGatedSpawner', () => {
  it('passes an allowed request to the spawner at the parent depth + 1 and logs it', async () => {
    const { gated, calls, events } = setup();
    await expect(gated.spawnAgent(child)).resolves.toEqual({ agentName: 'acme-worker-1' });
    expect(calls).toEqual([child]);
    expect(events).toEqual([
      {
        event: 'spawn.allowed',
        parent: 'acme-queen',
        name: 'acme-worker-1',
        tenant: 'acme',
        capabilities: ['linux'],
        depth: 1,
      },
    ]);
  });

  it('with the default policy: throws COLIBRI_SPAWN_POLICY_DENIED, logs the refusal, never calls the spawner', async () => {
    const { gated, calls, events } = setup({ policy: DEFAULT_SPAWN_POLICY });
    const error = await gated.spawnAgent(child).catch((caught: unknown) => caught);
    expect(isColibriError(error, 'COLIBRI_SPAWN_POLICY_DENIED')).toBe(true);
    expect((error as Error).message).toBe(
      'spawn of acme-worker-1 refused by the spawn policy: self-replication is disabled by the spawn policy ' +
        "(maxChildren and maxDepth must both be at least 1); tenant acme is not in the policy's allowedTenants; " +
        "capabilities not in the policy's allowedCapabilities: linux",
    );
    expect(calls).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'spawn.denied',
      name: 'acme-worker-1',
      reasons: expect.any(Array),
    });
  });

  it('lists every reason in the error details', async () => {
    const { gated, calls } = setup({ parent: { childrenAlive: 1 } });
    const error: unknown = await gated
      .spawnAgent({ ...child, capabilities: ['gpu'] })
      .catch((caught) => caught);
    expect((error as { details: { reasons: string[] } }).details.reasons).toEqual([
      'acme-queen already has 1 child(ren) alive; the policy allows at most 1',
      "capabilities not in the policy's allowedCapabilities: gpu",
    ]);
    expect(calls).toEqual([]);
  });

  it('refuses a caller-supplied depth that is not the parent depth + 1', async () => {
    const { gated, calls } = setup();
    await expect(gated.spawnAgent({ ...child, depth: 0 })).rejects.toThrow(
      'requested depth 0 but a child of acme-queen is at depth 1',
    );
    expect(calls).toEqual([]);
  });

  it('counts spawns in flight, so concurrent requests cannot both pass maxChildren', async () => {
    let release: () => void = () => {};
    const started: string[] = [];
    const inner: AgentSpawner = {
      spawnAgent: (request) =>
        new Promise((resolve) => {
          started.push(request.name);
          release = () => resolve({ agentName: request.name });
        }),
    };
    const { gated } = setup({ inner });
    const first = gated.spawnAgent(child);
    await expect(gated.spawnAgent({ ...child, name: 'acme-worker-2' })).rejects.toThrow(
      'acme-queen already has 1 child(ren) alive',
    );
    release();
    await expect(first).resolves.toEqual({ agentName: 'acme-worker-1' });
    expect(started).toEqual(['acme-worker-1']);
  });

  it('a failing spawner frees its slot again', async () => {
    let fail = true;
    const inner: AgentSpawner = {
      async spawnAgent(request) {
        if (fail) throw new Error('jail create failed');
        return { agentName: request.name };
      },
    };
    const { gated } = setup({ inner });
    await expect(gated.spawnAgent(child)).rejects.toThrow('jail create failed');
    fail = false;
    await expect(gated.spawnAgent(child)).resolves.toEqual({ agentName: 'acme-worker-1' });
  });
});
