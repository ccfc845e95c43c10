import { describe, expect, it } from 'vitest';
import { evaluateSpawnRequest, type SpawnPolicyRequest } from './evaluate-spawn-request.js';
import { DEFAULT_SPAWN_POLICY, type SpawnPolicy } from './spawn-policy.js';

const open: SpawnPolicy = {
  maxChildren: 2,
  maxDepth: 2,
  allowedTenants: ['acme'],
  allowSharedLane: true,
  allowedCapabilities: ['linux', 'ffmpeg'],
};

const request = (
  overrides: Partial<SpawnPolicyRequest> = {},
  parent: Partial<SpawnPolicyRequest['parent']> = {},
): SpawnPolicyRequest => ({
  name: 'acme-worker-2',
  tenant: 'acme',
  capabilities: ['linux'],
  ...overrides,
  parent: { name: 'acme-queen', tenant: 'acme', depth: 0, childrenAlive: 0, ...parent },
});

function reasons(policy: SpawnPolicy, spawn: SpawnPolicyRequest): string[] {
  const decision = evaluateSpawnRequest(policy, spawn);
  return decision.allowed ? [] : decision.reasons;
}

describe('evaluateSpawnRequest', () => {
  it('the default policy forbids every spawn, even a harmless one', () => {
    expect(evaluateSpawnRequest(DEFAULT_SPAWN_POLICY, request({ capabilities: [] }))).toEqual({
      allowed: false,
      reasons: expect.arrayContaining([
        'self-replication is disabled by the spawn policy (maxChildren and maxDepth must both be at least 1)',
      ]),
    });
    expect(Object.isFrozen(DEFAULT_SPAWN_POLICY)).toBe(true);
  });

  it('allows a request inside every limit', () => {
    expect(evaluateSpawnRequest(open, request())).toEqual({ allowed: true });
    expect(evaluateSpawnRequest(open, request({ capabilities: [] }, { childrenAlive: 1, depth: 1 }))).toEqual(
      {
        allowed: true,
      },
    );
  });

  it('maxChildren: refuses the child that would exceed it', () => {
    expect(reasons(open, request({}, { childrenAlive: 2 }))).toEqual([
      'acme-queen already has 2 child(ren) alive; the policy allows at most 2',
    ]);
  });

  it('maxDepth: refuses a child deeper than allowed', () => {
    expect(reasons(open, request({}, { depth: 2 }))).toEqual([
      'a child of acme-queen would be at depth 3; the policy allows at most depth 2',
    ]);
    expect(reasons({ ...open, maxDepth: 0 }, request())).toEqual([
      'self-replication is disabled by the spawn policy (maxChildren and maxDepth must both be at least 1)',
    ]);
  });

  it('allowedTenants: refuses a tenant not listed', () => {
    expect(reasons(open, request({ tenant: 'globex' }, { tenant: null }))).toEqual([
      "tenant globex is not in the policy's allowedTenants",
    ]);
  });

  it("a tenant's agent may only spawn into its own tenant, whatever the policy lists", () => {
    const permissive = { ...open, allowedTenants: ['acme', 'globex'] };
    expect(reasons(permissive, request({ tenant: 'globex' }))).toEqual([
      'acme-queen belongs to tenant acme and may only spawn agents of that tenant, not globex',
    ]);
    expect(reasons(permissive, request({ tenant: null }))).toEqual([
      'acme-queen belongs to tenant acme and may not spawn a shared lane',
    ]);
  });

  it('allowSharedLane: a shared lane child needs it, and a shared parent', () => {
    expect(evaluateSpawnRequest(open, request({ tenant: null }, { tenant: null }))).toEqual({
      allowed: true,
    });
    expect(reasons({ ...open, allowSharedLane: false }, request({ tenant: null }, { tenant: null }))).toEqual(
      ['the policy does not allow spawning a shared lane (allowSharedLane is false)'],
    );
  });

  it('allowedCapabilities: refuses tags not listed, naming each', () => {
    expect(reasons(open, request({ capabilities: ['linux', 'gpu', 'docker'] }))).toEqual([
      "capabilities not in the policy's allowedCapabilities: gpu, docker",
    ]);
  });

  it('refuses an invalid child name', () => {
    expect(reasons(open, request({ name: 'Bad Name' }))[0]).toMatch(/agent name "Bad Name" is not valid/);
  });

  it('lists every reason at once', () => {
    expect(
      reasons(
        open,
        request({ name: 'x-', tenant: 'globex', capabilities: ['gpu'] }, { childrenAlive: 5, depth: 4 }),
      ),
    ).toHaveLength(6);
  });
});
