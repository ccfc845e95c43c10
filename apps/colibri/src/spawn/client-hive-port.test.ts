import type { ApiAgent, ApiTenant } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import { describe, expect, it } from 'vitest';
import { createClientHivePort } from './client-hive-port.js';

const tenant: ApiTenant = {
  tenant: 'acme',
  jail: 'acme',
  collection: 'acme',
  collectionId: null,
  status: 'provisioned',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
} as ApiTenant;
const agent = (change: Partial<ApiAgent>): ApiAgent =>
  ({
    id: 'a-1',
    name: 'acme-agent',
    host: 'h',
    capabilities: [],
    status: 'idle',
    tenant: 'acme',
    registeredAt: '2026-01-01T00:00:00.000Z',
    lastHeartbeatAt: null,
    activeTasks: 0,
    retiredAt: null,
    spawnedBy: null,
    spawnDepth: 0,
    ...change,
  }) as ApiAgent;

function stubClient(agents: ApiAgent[]) {
  const calls: unknown[][] = [];
  const client = {
    getTenant: async () => ({ tenant, events: [] }),
    listAgents: async () => ({ agents }),
    setTenantStatus: async (...args: unknown[]) => {
      calls.push(['setTenantStatus', ...args]);
      return { tenant };
    },
    createJoinToken: async (request: unknown) => {
      calls.push(['createJoinToken', request]);
      return { token: 't', tenant: 'acme', expiresAt: 'soon' };
    },
    retireAgent: async (...args: unknown[]) => {
      calls.push(['retireAgent', ...args]);
      return {};
    },
    revokeJoinToken: async () => ({ revoked: true }),
  };
  return { client: client as unknown as ColibriClient, calls };
}

describe('createClientHivePort', () => {
  it('finds an agent by exact name; last seen = last heartbeat, else registration', async () => {
    const { client } = stubClient([
      agent({ id: 'a-0', name: 'acme-agent-2' }),
      agent({ lastHeartbeatAt: '2026-01-01T00:00:09.000Z' }),
    ]);
    const hive = createClientHivePort(client);
    expect(await hive.findAgent('acme-agent')).toEqual({
      id: 'a-1',
      name: 'acme-agent',
      tenant: 'acme',
      status: 'idle',
      lastSeenAt: '2026-01-01T00:00:09.000Z',
    });
    expect(await hive.findAgent('acme')).toBeUndefined();
    const { client: fresh } = stubClient([agent({})]);
    expect((await createClientHivePort(fresh).findAgent('acme-agent'))?.lastSeenAt).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });

  it('a status change to the current status is a no-op; others go to colibrid with their reason', async () => {
    const { client, calls } = stubClient([]);
    const hive = createClientHivePort(client);
    await hive.setTenantStatus('acme', 'provisioned', 'again');
    expect(calls).toEqual([]);
    await hive.setTenantStatus('acme', 'active', 'agent registered');
    await hive.createJoinToken('acme', 120);
    await hive.retireAgent('a-1', 'rolled back');
    expect(calls).toEqual([
      ['setTenantStatus', 'acme', { status: 'active', reason: 'agent registered' }],
      ['createJoinToken', { tenant: 'acme', ttlSeconds: 120 }],
      ['retireAgent', 'a-1', { reason: 'rolled back' }],
    ]);
  });
});
