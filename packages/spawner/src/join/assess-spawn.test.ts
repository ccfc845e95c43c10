import { describe, expect, it } from 'vitest';
import type { JailInfo, JailStatus } from '../jail-driver.js';
import { assessSpawn, type SpawnSituation } from './assess-spawn.js';
import type { HiveAgent, HiveTenant } from './hive-port.js';

const tenant: HiveTenant = {
  tenant: 'acme',
  jail: 'acme',
  collection: 'acme',
  collectionId: null,
  status: 'active',
};
const info: JailInfo = {
  name: 'acme',
  agentName: 'acme-agent',
  tenant: 'acme',
  home: '/j/acme/home/agent',
  allowedRoot: '/j',
  owner: { uid: 470001, gid: 470001 },
  runtimeVersion: '1.0.0',
};
const agent: HiveAgent = { id: 'a1', name: 'acme-agent', tenant: 'acme', status: 'idle' };
const running: JailStatus = { exists: true, info, agent: 'running' };

const situation = (change: Partial<SpawnSituation> = {}): SpawnSituation => ({
  agentName: 'acme-agent',
  tenant,
  agent,
  jail: running,
  runtimeVersion: '1.0.0',
  ...change,
});

describe('assessSpawn', () => {
  it('healthy only when everything is in place', () => {
    expect(assessSpawn(situation())).toEqual({ kind: 'healthy', info, agent });
  });

  it('no jail and no agent: fresh', () => {
    expect(assessSpawn(situation({ jail: { exists: false }, agent: undefined }))).toEqual({ kind: 'fresh' });
  });

  it('lists every problem of a broken agent', () => {
    const broken = assessSpawn(
      situation({
        tenant: { ...tenant, status: 'failed' },
        agent: { ...agent, status: 'offline' },
        jail: { exists: true, info: { ...info, runtimeVersion: '0.9.0' }, agent: 'stopped' },
      }),
    );
    expect(broken).toMatchObject({
      kind: 'repair',
      agentRunning: false,
      problems: [
        'runtime 0.9.0 instead of 1.0.0',
        'agent not running',
        'agent offline',
        'tenant failed, not active',
      ],
    });
    expect(
      assessSpawn(
        situation({
          agent: undefined,
          jail: { exists: true, info: { ...info, runtimeVersion: null }, agent: 'stopped' },
        }),
      ),
    ).toMatchObject({
      kind: 'repair',
      registered: undefined,
      problems: ['runtime 1.0.0 not bootstrapped', 'agent not running', 'agent not registered'],
    });
  });

  it('refuses foreign jails, jails of other agents or tenants, names taken, stale registrations', () => {
    const code = (change: Partial<SpawnSituation>) => {
      try {
        assessSpawn(situation(change));
      } catch (error) {
        return (error as { code: string }).code;
      }
      return 'accepted';
    };
    expect(code({ jail: { exists: true, info: null, agent: 'stopped' } })).toBe('COLIBRI_JAIL_EXISTS');
    expect(code({ jail: { exists: true, info: { ...info, agentName: 'x' }, agent: 'running' } })).toBe(
      'COLIBRI_JAIL_EXISTS',
    );
    expect(code({ jail: { exists: true, info: { ...info, tenant: 'beta' }, agent: 'running' } })).toBe(
      'COLIBRI_JAIL_EXISTS',
    );
    expect(code({ agent: { ...agent, tenant: 'beta' } })).toBe('COLIBRI_AGENT_NAME_TAKEN');
    expect(code({ agent: { ...agent, tenant: null } })).toBe('COLIBRI_AGENT_NAME_TAKEN');
    expect(code({ jail: { exists: false } })).toBe('COLIBRI_AGENT_NAME_TAKEN');
  });
});
