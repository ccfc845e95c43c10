import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { destroyJailedAgent } from './destroy-jailed-agent.js';
import {
  createFakeDriver,
  createFakeHive,
  createFakeProvision,
  type FakeDriver,
  type FakeHive,
  RUNTIME,
} from './fakes.test-helper.js';
import { spawnJailedAgent } from './spawn-jailed-agent.js';

let root: string;
let hive: FakeHive;
let driver: FakeDriver;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'colibri-destroy-'));
  hive = createFakeHive();
  driver = createFakeDriver(root, hive);
  hive.addTenant('acme');
  const vault = createFakeProvision();
  vault.secrets.set('acme', { API_KEY: 'k' });
  await spawnJailedAgent({
    driver,
    hive,
    provision: vault.provision,
    runtime: RUNTIME,
    daemon: { socketPath: '/run/colibri.sock' },
    request: { agentName: 'acme-agent', tenant: 'acme', capabilities: null },
  });
  driver.calls.length = 0;
  hive.calls.length = 0;
});
afterEach(async () => {
  for (const jail of driver.jails.values()) jail.agent = 'stopped';
  await rm(root, { recursive: true, force: true });
});

const destroy = (agentName = 'acme-agent', tenant = 'acme') =>
  destroyJailedAgent({ driver, hive, agentName, tenant });
const statuses = (steps: readonly { step: string; status: string }[]) =>
  steps.map(({ step, status }) => `${step}:${status}`);

async function failure(promise: Promise<unknown>): Promise<ColibriError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ColibriError);
    return error as ColibriError;
  }
  throw new Error('expected a failure');
}

describe('destroyJailedAgent', () => {
  it('retires the agent, stops it, destroys the jail and moves the tenant to pending; again: absent', async () => {
    const agentId = hive.agents[0]?.id;
    const report = await destroy();
    expect(report).toMatchObject({
      agentName: 'acme-agent',
      tenant: 'acme',
      jail: 'acme',
      outcome: 'destroyed',
    });
    expect(statuses(report.steps)).toEqual([
      'retire-agent:done',
      'stop-agent:done',
      'destroy-jail:done',
      'tenant-status:done',
    ]);
    expect(hive.calls).toEqual(['getTenant acme', `retireAgent ${agentId}`, 'setTenantStatus acme pending']);
    expect(driver.calls).toEqual(['stopAgent acme', 'destroy acme']);
    expect(hive.agents[0]?.retired).toBe(true);
    expect(await readdir(root)).toEqual([]);
    expect(hive.tenants.get('acme')?.status).toBe('pending');
    expect(hive.tenantEvents.at(-1)).toBe(
      'acme: active → pending (agent acme-agent destroyed: no jail, no .env)',
    );

    driver.calls.length = 0;
    const again = await destroy();
    expect(again.outcome).toBe('absent');
    expect(statuses(again.steps)).toEqual([
      'retire-agent:skipped',
      'stop-agent:skipped',
      'destroy-jail:skipped',
      'tenant-status:skipped',
    ]);
    expect(driver.calls).toEqual([]);
  });

  it('a stale registration without a jail is retired', async () => {
    driver.jails.clear();
    const report = await destroy();
    expect(report.outcome).toBe('destroyed');
    expect(statuses(report.steps)).toEqual([
      'retire-agent:done',
      'stop-agent:skipped',
      'destroy-jail:skipped',
      'tenant-status:done',
    ]);
  });

  it("refuses a jail colibri did not create, or another agent's, touching nothing", async () => {
    hive.addTenant('beta');
    await driver.plantForeign('beta');
    const foreign = await failure(destroy('beta-agent', 'beta'));
    expect(foreign.code).toBe('COLIBRI_JAIL_EXISTS');
    expect(foreign.message).toMatch(/jail beta exists but colibri did not create it: it is left alone/);
    const other = await failure(destroy('other-agent'));
    expect(other.code).toBe('COLIBRI_JAIL_EXISTS');
    expect(other.message).toMatch(/jail acme holds agent acme-agent, not other-agent/);
    expect(driver.calls).toEqual([]);
    expect(hive.calls.filter((call) => !call.startsWith('getTenant'))).toEqual([]);
  });

  it('refuses an agent of another tenant, naming it', async () => {
    hive.addTenant('beta');
    const error = await failure(destroy('acme-agent', 'beta'));
    expect(error.code).toBe('COLIBRI_INVALID_INPUT');
    expect(error.message).toMatch(/agent acme-agent belongs to tenant acme, not tenant beta.*--tenant acme/);
    expect(driver.calls).toEqual([]);
  });

  it('invalid names are refused before anything is asked', async () => {
    for (const [agent, tenant] of [
      ['../x', 'acme'],
      ['acme-agent', 'ALL'],
    ] as const) {
      expect((await failure(destroy(agent, tenant))).code).toBe('COLIBRI_INVALID_NAME');
    }
    expect(hive.calls).toEqual([]);
  });

  it('a daemon failure while retiring still stops the agent and destroys the jail, then reports it', async () => {
    hive.failures.retireAgent = new ColibriError('COLIBRI_DAEMON_UNREACHABLE', 'colibrid is down', {});
    const error = await failure(destroy());
    expect(error.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
    expect(error.message).toBe('destroy of acme-agent failed at retire-agent: colibrid is down');
    expect(statuses((error.details as { steps: { step: string; status: string }[] }).steps)).toEqual([
      'retire-agent:failed',
      'stop-agent:done',
      'destroy-jail:done',
      'tenant-status:done',
    ]);
    expect(await readdir(root)).toEqual([]);
  });
});
