import type { ResolvedIdentity } from '@colibri/mother';
import { describe, expect, it } from 'vitest';
import { formatIdentity } from './format-identity.js';

const resolved: ResolvedIdentity = {
  identity: {
    name: 'acme-worker',
    tenant: null,
    role: 'worker',
    capabilities: null,
    forceCapabilities: [],
    handlersDir: '/srv/handlers',
    daemon: { url: 'http://100.64.0.1:9190' },
    slots: 2,
    envFile: null,
    stateDir: '/home/agent/.colibri/agents/acme-worker',
    heartbeatSeconds: 10,
    spawnPolicy: {
      maxChildren: 2,
      maxDepth: 1,
      allowedTenants: ['acme'],
      allowSharedLane: false,
      allowedCapabilities: [],
    },
  },
  origins: {
    name: { layer: 'agent', file: '/id/agent.yaml' },
    tenant: { layer: 'default' },
    role: { layer: 'default' },
    capabilities: { layer: 'default' },
    forceCapabilities: { layer: 'default' },
    handlersDir: { layer: 'image', file: '/id/image.json' },
    daemon: { layer: 'flag' },
    slots: { layer: 'host', file: '/id/host.yml' },
    envFile: { layer: 'tenant', file: '/id/tenant.yaml' },
    stateDir: { layer: 'default' },
    heartbeatSeconds: { layer: 'default' },
    spawnPolicy: { layer: 'agent', file: '/id/agent.yaml' },
  },
};

describe('formatIdentity', () => {
  it('prints each field, its value and where it came from', () => {
    expect(
      formatIdentity(resolved, ['name', 'tenant', 'capabilities', 'daemon', 'envFile', 'spawnPolicy']).split(
        '\n',
      ),
    ).toEqual([
      'FIELD         VALUE                                                                    FROM',
      'name          acme-worker                                                              agent (/id/agent.yaml)',
      'tenant        - (shared lane)                                                          default',
      'capabilities  - (advertise what the probe finds)                                       default',
      'daemon        url http://100.64.0.1:9190                                               flag',
      'envFile       - (no secrets)                                                           tenant (/id/tenant.yaml)',
      'spawnPolicy   maxChildren 2, maxDepth 1, tenants acme, shared lane no, capabilities -  agent (/id/agent.yaml)',
    ]);
  });

  it('a forbidding policy reads as forbidden; socket daemons show their path', () => {
    const text = formatIdentity(
      {
        ...resolved,
        identity: {
          ...resolved.identity,
          daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
          spawnPolicy: { ...resolved.identity.spawnPolicy, maxDepth: 0 },
        },
      },
      ['daemon', 'spawnPolicy'],
    );
    expect(text).toContain('socket /var/lib/colibri/colibri.sock');
    expect(text).toContain('forbidden (no self-replication)');
  });
});
