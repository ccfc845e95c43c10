import type { JailInfo, JailStatus, LaunchSettings } from '@colibri/spawner';
import { describe, expect, it } from 'vitest';
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
const settings: LaunchSettings = {
  capabilities: ['echo', 'linux'],
  handlersDir: '/srv/handlers',
  network: 'none',
  runtime: '/opt/colibri',
};
const running: JailStatus = { exists: true, info, agent: 'running', launched: settings };

const situation = (change: Partial<SpawnSituation> = {}): SpawnSituation => ({
  agentName: 'acme-agent',
  tenant,
  agent,
  jail: running,
  runtimeVersion: '1.0.0',
  wanted: settings,
  ...change,
});

describe('assessSpawn', () => {
  it('healthy only when everything is in place', () => {
    expect(assessSpawn(situation())).toEqual({ kind: 'healthy', info, agent });
  });

  it('a running, registered agent whose settings differ from the request is reconfigured, each change named', () => {
    const assessment = assessSpawn(
      situation({
        wanted: { ...settings, capabilities: ['linux', 'echo', 'gpu-extra'], network: 'host' },
      }),
    );
    expect(assessment).toMatchObject({
      kind: 'repair',
      agentRunning: true,
      registered: agent,
      reconfigure: ['capabilities echo,linux → echo,gpu-extra,linux', 'network none → host'],
      launched: settings,
      runtimeChanged: false,
    });
    // Tag order is not a difference; another runtime root is (bootstrap runs again).
    expect(assessSpawn(situation({ wanted: { ...settings, capabilities: ['linux', 'echo'] } })).kind).toBe(
      'healthy',
    );
    expect(
      assessSpawn(situation({ wanted: { ...settings, runtime: '/srv/other', handlersDir: null } })),
    ).toMatchObject({
      reconfigure: ['handlers /srv/handlers → home', 'runtime /opt/colibri → /srv/other'],
      runtimeChanged: true,
    });
    // Started by an older colibri (no recorded settings): reconfigured once, to be sure.
    expect(assessSpawn(situation({ jail: { exists: true, info, agent: 'running' } }))).toMatchObject({
      reconfigure: ['settings unknown (started by an older colibri)'],
    });
    // Not running: it starts with the new settings anyway, nothing to reconfigure.
    expect(
      assessSpawn(
        situation({ jail: { ...running, agent: 'stopped' }, wanted: { ...settings, network: 'host' } }),
      ),
    ).toMatchObject({ kind: 'repair', reconfigure: [] });
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
