import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFakeDriver,
  createFakeHive,
  createFakeProvision,
  type FakeDriver,
  type FakeHive,
  type FakeProvision,
  RUNTIME,
} from './fakes.test-helper.js';
import type { HiveTenant } from './hive-port.js';
import { WITHHELD_LINE } from './read-log-tail.js';
import { spawnJailedAgent } from './spawn-jailed-agent.js';
import { SPAWN_STEPS, type SpawnFailureDetails, type SpawnProgressEvent } from './spawn-report.js';

let root: string;
let hive: FakeHive;
let driver: FakeDriver;
let vault: FakeProvision;
let events: SpawnProgressEvent[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'colibri-join-'));
  hive = createFakeHive();
  driver = createFakeDriver(root, hive);
  vault = createFakeProvision();
  events = [];
  hive.addTenant('acme');
  vault.secrets.set('acme', { API_KEY: 'acme-api-key' });
});
afterEach(async () => {
  // Stop fake agents still "running" so no timer outlives the test.
  for (const jail of driver.jails.values()) jail.agent = 'stopped';
  await rm(root, { recursive: true, force: true });
});

function spawn(
  request: { agentName?: string; tenant?: string; capabilities?: string[] | null; handlersDir?: string } = {},
  extra: { registrationTimeoutMs?: number } = {},
) {
  return spawnJailedAgent({
    driver,
    hive,
    provision: vault.provision,
    runtime: RUNTIME,
    daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
    request: {
      agentName: request.agentName ?? 'acme-agent',
      tenant: request.tenant ?? 'acme',
      capabilities: request.capabilities === undefined ? ['linux', 'echo'] : request.capabilities,
      ...(request.handlersDir === undefined ? {} : { handlersDir: request.handlersDir }),
    },
    joinTokenTtlSeconds: 120,
    registrationTimeoutMs: extra.registrationTimeoutMs ?? 10_000,
    onProgress: (event) => events.push(event),
  });
}

async function failure(promise: Promise<unknown>): Promise<ColibriError & { details: SpawnFailureDetails }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ColibriError);
    return error as ColibriError & { details: SpawnFailureDetails };
  }
  throw new Error('expected the spawn to fail');
}

const statuses = (steps: readonly { step: string; status: string }[]) =>
  steps.map(({ step, status }) => `${step}:${status}`);
const envPath = () => join(driver.homeOf('acme'), '.env');
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('spawnJailedAgent: a fresh spawn', () => {
  it('runs every step in order and joins the hive', async () => {
    const report = await spawn({ handlersDir: '/srv/handlers' });
    expect(report).toMatchObject({
      agentName: 'acme-agent',
      tenant: 'acme',
      jail: 'acme',
      driver: 'linux',
      outcome: 'spawned',
    });
    expect(statuses(report.steps)).toEqual(
      SPAWN_STEPS.map((step) => `${step}:${step === 'reconfigure' ? 'skipped' : 'done'}`),
    );
    expect(report.steps.find((s) => s.step === 'reconfigure')?.detail).toBe(
      'a new agent: it starts with the requested settings',
    );
    expect(report.steps.find((s) => s.step === 'create-jail')?.detail).toMatch(
      /^jail acme created \(uid 470001/,
    );

    const agent = hive.agents.find((a) => a.name === 'acme-agent');
    expect(agent).toMatchObject({ id: report.agentId, tenant: 'acme', retired: false });
    expect(hive.tenants.get('acme')?.status).toBe('active');
    expect(hive.tenantEvents).toEqual([
      'acme: pending → provisioned (.env for agent acme-agent written)',
      `acme: provisioned → active (agent acme-agent registered (id ${report.agentId}))`,
    ]);
    // The .env holds the tenant's secret and the join token, which the agent used.
    const env = await readFile(envPath(), 'utf8');
    const token = /^COLIBRI_JOIN_TOKEN='(.*)'$/m.exec(env)?.[1] as string;
    expect(env).toContain("API_KEY='acme-api-key'");
    expect(hive.tokens.get(token)).toMatchObject({ tenant: 'acme', used: true });
    expect(hive.calls).toContain('createJoinToken acme 120');
    // The launch carries names, tags, daemon and handlers, never a secret.
    expect(driver.launches).toEqual([
      {
        agentName: 'acme-agent',
        tenant: 'acme',
        capabilities: ['linux', 'echo'],
        daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
        handlersDir: '/srv/handlers',
      },
    ]);
    expect(JSON.stringify(report)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('emits a start and a finish per step, in order', async () => {
    await spawn();
    expect(
      events.map((e) =>
        e.kind === 'step-started'
          ? `start ${e.step}`
          : e.kind === 'step-finished'
            ? `end ${e.report.step}`
            : 'rollback',
      ),
    ).toEqual(SPAWN_STEPS.flatMap((step) => [`start ${step}`, `end ${step}`]));
  });

  it('a tenant without a bucket gets a .env holding only the join token', async () => {
    hive.addTenant('lean', { collection: null });
    const report = await spawn({ agentName: 'lean-agent', tenant: 'lean', capabilities: null });
    expect(report.outcome).toBe('spawned');
    const env = await readFile(join(driver.homeOf('lean'), '.env'), 'utf8');
    expect(env).toMatch(/^COLIBRI_JOIN_TOKEN='join-secret-[^']+'\n$/);
    expect(driver.launches[0]?.capabilities).toBeNull();
    // Said plainly, in the step line and the report.
    expect(report.steps.find((s) => s.step === 'provision')?.detail).toMatch(
      /^no secrets for tenant lean: the agent starts with only its join token \(\.env written: 1 variable\(s\), /,
    );
    expect(report.tenantSecrets).toBe('none');
  });

  it("the tenant's secrets are counted in the report (the join token is not one of them)", async () => {
    const report = await spawn();
    expect(report.tenantSecrets).toBe(1);
    expect(report.steps.find((s) => s.step === 'provision')?.detail).toMatch(
      /^\.env written: 2 variable\(s\), join token included, /,
    );
  });
});

describe('spawnJailedAgent: reruns', () => {
  it('a healthy agent is left alone: every step skipped with why, nothing changed', async () => {
    const first = await spawn();
    const before = await stat(envPath());
    const callsBefore = [...driver.calls];
    const tokensBefore = hive.tokens.size;
    events = [];
    const again = await spawn();
    expect(again.outcome).toBe('already-healthy');
    expect(again.agentId).toBe(first.agentId);
    expect(statuses(again.steps)).toEqual(SPAWN_STEPS.map((step) => `${step}:skipped`));
    expect(again.steps.every((s) => s.detail.length > 0)).toBe(true);
    expect(driver.calls).toEqual(callsBefore);
    expect(hive.tokens.size).toBe(tokensBefore);
    const after = await stat(envPath());
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(vault.requests).toHaveLength(1);
  });

  it('an agent whose process died (still listed online) is restarted and waited for until it is heard from again', async () => {
    const first = await spawn();
    driver.killAgent('acme');
    const seenBefore = hive.agents[0]?.lastSeenAt;
    const report = await spawn();
    expect(report.outcome).toBe('repaired');
    expect(report.agentId).toBe(first.agentId);
    expect(statuses(report.steps)).toEqual([
      'preflight:done',
      'create-jail:skipped',
      'bootstrap:skipped',
      'provision:done',
      'reconfigure:skipped',
      'start-agent:done',
      'wait-registered:done',
      'activate-tenant:done',
    ]);
    expect(report.steps[1]?.detail).toMatch(/repairing: agent not running/);
    // Registered already: no new join token; the .env keeps the secrets only.
    expect(hive.tokens.size).toBe(1);
    expect(await readFile(envPath(), 'utf8')).toBe("API_KEY='acme-api-key'\n");
    expect(hive.agents[0]?.lastSeenAt).not.toBe(seenBefore);
    expect(hive.agents.filter((a) => !a.retired)).toHaveLength(1);
    expect(hive.tenants.get('acme')?.status).toBe('active');
  });

  it('an agent that was never registered gets a new join token', async () => {
    driver.behaviour = 'never';
    await failure(spawn({}, { registrationTimeoutMs: 300 }));
    // Leave a broken jail behind by hand: ours, bootstrapped, agent stopped, nobody registered.
    await driver.create({ name: 'acme', agentName: 'acme-agent', tenant: 'acme' });
    await driver.bootstrap('acme', RUNTIME);
    driver.behaviour = 'registers';
    const tokensBefore = hive.tokens.size;
    const report = await spawn();
    expect(report.outcome).toBe('repaired');
    expect(hive.tokens.size).toBe(tokensBefore + 1);
    expect(await readFile(envPath(), 'utf8')).toMatch(/COLIBRI_JOIN_TOKEN=/);
  });

  it('a runtime of another version is re-bootstrapped, the running agent stopped first', async () => {
    await spawn();
    const jail = driver.jails.get('acme');
    if (jail === undefined) throw new Error('no jail');
    jail.info = { ...jail.info, runtimeVersion: '1.2.2' };
    driver.calls.length = 0;
    const report = await spawn();
    expect(report.outcome).toBe('repaired');
    expect(report.steps.find((s) => s.step === 'bootstrap')).toMatchObject({
      status: 'done',
      detail: expect.stringMatching(
        /runtime 1\.2\.3 bootstrapped \(was 1\.2\.2\); the agent running the old runtime was stopped/,
      ),
    });
    expect(driver.calls).toEqual(['stopAgent acme', 'bootstrap acme', 'startAgent acme']);
  });

  it('a tenant that is not active while its agent runs: only provision and activation run', async () => {
    await spawn();
    hive.tenants.set('acme', { ...(hive.tenants.get('acme') as HiveTenant), status: 'failed' });
    driver.calls.length = 0;
    const report = await spawn();
    expect(report.outcome).toBe('repaired');
    expect(statuses(report.steps)).toEqual([
      'preflight:done',
      'create-jail:skipped',
      'bootstrap:skipped',
      'provision:done',
      'reconfigure:skipped',
      'start-agent:skipped',
      'wait-registered:skipped',
      'activate-tenant:done',
    ]);
    expect(driver.calls).toEqual([]);
    expect(hive.tenants.get('acme')?.status).toBe('active');
  });
});

describe('spawnJailedAgent: a rerun with other settings reconfigures', () => {
  const actions = (details: SpawnFailureDetails) => details.rollback.map((a) => `${a.action}:${a.status}`);
  it('other capabilities, handlers or network: a visible reconfigure step, the agent restarted with them', async () => {
    const first = await spawn({ handlersDir: '/srv/handlers' });
    events = [];
    const again = await spawnJailedAgent({
      driver,
      hive,
      provision: vault.provision,
      runtime: RUNTIME,
      daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
      request: {
        agentName: 'acme-agent',
        tenant: 'acme',
        capabilities: ['linux', 'echo', 'gpu-extra'],
        handlersDir: '/srv/other-handlers',
        network: 'host',
      },
      registrationTimeoutMs: 10_000,
      onProgress: (event) => events.push(event),
    });
    expect(again.outcome).toBe('repaired');
    expect(again.agentId).toBe(first.agentId);
    expect(statuses(again.steps)).toEqual(
      [
        'preflight:done',
        'create-jail:skipped',
        'bootstrap:skipped',
        'provision:done',
        'reconfigure:done',
        'start-agent:done',
        'wait-registered:done',
        'activate-tenant:skipped',
      ].map((entry) => (entry === 'activate-tenant:skipped' ? 'activate-tenant:done' : entry)),
    );
    expect(again.steps.find((s) => s.step === 'reconfigure')?.detail).toBe(
      'capabilities echo,linux → echo,gpu-extra,linux; handlers /srv/handlers → /srv/other-handlers; ' +
        'network none → host: the agent was stopped to start again with them',
    );
    expect(driver.launches.at(-1)).toMatchObject({
      capabilities: ['linux', 'echo', 'gpu-extra'],
      handlersDir: '/srv/other-handlers',
      network: 'host',
    });
    // The same request again: truly identical now, every step skipped.
    const third = await spawnJailedAgent({
      driver,
      hive,
      provision: vault.provision,
      runtime: RUNTIME,
      daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
      request: {
        agentName: 'acme-agent',
        tenant: 'acme',
        capabilities: ['gpu-extra', 'echo', 'linux'],
        handlersDir: '/srv/other-handlers',
        network: 'host',
      },
    });
    expect(third.outcome).toBe('already-healthy');
    expect(statuses(third.steps)).toEqual(SPAWN_STEPS.map((step) => `${step}:skipped`));
  });

  it('a reconfiguration that fails restarts the agent with its previous settings and retires nothing', async () => {
    const first = await spawn();
    driver.behaviour = 'never';
    const error = await failure(spawn({ capabilities: ['linux'] }, { registrationTimeoutMs: 300 }));
    expect(error.details.step).toBe('wait-registered');
    expect(actions(error.details)).toEqual([
      'stop agent:done',
      'restart with the previous settings:done',
      'tenant → failed:done',
    ]);
    expect(driver.launches.at(-1)).toMatchObject({ capabilities: ['echo', 'linux'] });
    expect(driver.jails.get('acme')?.agent).toBe('running');
    expect(hive.agents.find((a) => a.id === first.agentId)?.retired).toBe(false);
  });
});

describe('spawnJailedAgent: refusals before anything is touched', () => {
  async function expectUntouched(promise: Promise<unknown>, code: string, message: RegExp) {
    const error = await failure(promise);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/failed at preflight: .*; rolled back: nothing$/);
    expect(error.details.step).toBe('preflight');
    expect(error.details.rollback).toEqual([]);
    expect(driver.calls).toEqual([]);
    expect(hive.calls.filter((call) => !call.startsWith('getTenant'))).toEqual([]);
    expect(hive.tenantEvents).toEqual([]);
    return error;
  }

  it('invalid agent or tenant names: COLIBRI_INVALID_NAME', async () => {
    for (const request of [
      { tenant: '../x' },
      { tenant: 'ALL' },
      { tenant: 'all' },
      { agentName: 'Agent' },
      { agentName: 'a/b' },
    ]) {
      await expectUntouched(spawn(request), 'COLIBRI_INVALID_NAME', /name .* (is not valid|is reserved)/);
    }
    expect(hive.calls).toEqual([]);
  });

  it('an unknown tenant: register it first', async () => {
    await expectUntouched(
      spawn({ tenant: 'ghost' }),
      'COLIBRI_TENANT_NOT_FOUND',
      /no tenant ghost: colibri register-tenant ghost first/,
    );
  });

  it('a jail colibri did not create: COLIBRI_JAIL_EXISTS, left alone', async () => {
    await driver.plantForeign('acme');
    await expectUntouched(spawn(), 'COLIBRI_JAIL_EXISTS', /jail acme exists but colibri did not create it/);
    expect(await readdir(join(root, 'acme'))).toEqual([]);
    expect(driver.jails.get('acme')?.foreign).toBe(true);
  });

  it("another agent's jail: COLIBRI_JAIL_EXISTS naming that agent", async () => {
    await spawn({ agentName: 'other-agent' });
    driver.calls.length = 0;
    hive.calls.length = 0;
    hive.tenantEvents.length = 0;
    await expectUntouched(
      spawn(),
      'COLIBRI_JAIL_EXISTS',
      /jail acme already holds agent other-agent of tenant acme.*destroy-agent other-agent --tenant acme/,
    );
    expect(driver.jails.get('acme')?.agent).toBe('running');
  });

  it('the agent name registered for another tenant or the shared lane: COLIBRI_AGENT_NAME_TAKEN', async () => {
    hive.addTenant('beta');
    hive.addAgent('acme-agent', 'beta');
    await expectUntouched(spawn(), 'COLIBRI_AGENT_NAME_TAKEN', /registered for tenant beta/);
    hive.agents[0]!.retired = true;
    hive.addAgent('acme-agent', null);
    await expectUntouched(spawn(), 'COLIBRI_AGENT_NAME_TAKEN', /registered for the shared lane/);
  });

  it('a stale registration whose jail is gone: says how to retire it', async () => {
    hive.addAgent('acme-agent', 'acme');
    await expectUntouched(
      spawn(),
      'COLIBRI_AGENT_NAME_TAKEN',
      /still registered for tenant acme, but its jail acme is gone.*colibri destroy-agent acme-agent --tenant acme/,
    );
  });

  it('a host that cannot even be inspected gets the full preflight, every failed check listed', async () => {
    driver.failures.inspect = new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      'jail root /srv/jails is a symlink',
      {},
    );
    driver.preflightReport = {
      ok: false,
      checks: [
        { name: 'root', ok: true, detail: 'euid 0' },
        {
          name: 'jail-root',
          ok: false,
          detail: '/srv/jails is a symbolic link',
          fix: 'use the real directory',
        },
        { name: 'bwrap', ok: false, detail: 'not found', fix: 'apt-get install bubblewrap' },
      ],
      facts: {},
    };
    await expectUntouched(
      spawn(),
      'COLIBRI_PREFLIGHT_FAILED',
      /2 check\(s\) failed: jail-root: .*; bwrap: not found \(fix: apt-get install bubblewrap\)/,
    );
    // A passing preflight: the inspect error itself.
    driver.preflightReport = { ok: true, checks: [], facts: {} };
    await expectUntouched(spawn(), 'COLIBRI_UNSAFE_PATH', /jail root \/srv\/jails is a symlink/);
  });

  it('a failed preflight lists every failed check with its fix; nothing is created', async () => {
    driver.preflightReport = {
      ok: false,
      checks: [
        { name: 'root', ok: false, detail: 'euid 1000', fix: 'run as root' },
        { name: 'bwrap', ok: true, detail: '/usr/bin/bwrap 0.8.0' },
        {
          name: 'jail-root',
          ok: false,
          detail: '/srv/jails is a symbolic link',
          fix: 'use a real directory',
        },
      ],
      facts: {},
    };
    const error = await expectUntouched(
      spawn(),
      'COLIBRI_PREFLIGHT_FAILED',
      /2 check\(s\) failed: root: euid 1000 \(fix: run as root\); jail-root: \/srv\/jails is a symbolic link \(fix: use a real directory\)/,
    );
    expect(error.details.causeDetails?.checks).toHaveLength(3);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('spawnJailedAgent: failures roll back what the run did', () => {
  const actions = (details: SpawnFailureDetails) => details.rollback.map((a) => `${a.action}:${a.status}`);
  const tokenOf = () => [...hive.tokens.entries()][0];

  it('the vault down at provision: its own code, the token revoked, the jail destroyed, the tenant failed', async () => {
    vault.failure = new ColibriError(
      'COLIBRI_VAULT_SYNC_FAILED',
      'bw sync failed: the server cannot be reached',
      {
        step: 'sync',
      },
    );
    const error = await failure(spawn());
    expect(error.code).toBe('COLIBRI_VAULT_SYNC_FAILED');
    expect(error.message).toBe(
      'spawn of acme-agent failed at provision: bw sync failed: the server cannot be reached; ' +
        'rolled back: revoke join token, destroy jail, tenant → failed',
    );
    expect(error.details.step).toBe('provision');
    expect(statuses(error.details.steps)).toEqual([
      'preflight:done',
      'create-jail:done',
      'bootstrap:done',
      'provision:failed',
    ]);
    expect(actions(error.details)).toEqual([
      'revoke join token:done',
      'destroy jail:done',
      'tenant → failed:done',
    ]);
    expect(error.details.causeDetails).toEqual({ step: 'sync' });
    expect(tokenOf()?.[1]).toMatchObject({ used: false, revoked: true });
    expect(driver.jails.size).toBe(0);
    expect(await readdir(root)).toEqual([]);
    expect(hive.tenants.get('acme')?.status).toBe('failed');
    expect(hive.tenantEvents.at(-1)).toMatch(
      /acme: pending → failed \(spawn of acme-agent failed at provision: bw sync failed/,
    );
    expect(events.filter((e) => e.kind === 'rollback')).toHaveLength(3);
  });

  it('an agent that never registers: COLIBRI_WAIT_TIMEOUT, stopped, token revoked, .env removed, jail destroyed', async () => {
    driver.behaviour = 'never';
    const error = await failure(spawn({}, { registrationTimeoutMs: 400 }));
    expect(error.code).toBe('COLIBRI_WAIT_TIMEOUT');
    expect(error.message).toMatch(
      /^spawn of acme-agent failed at wait-registered: agent acme-agent did not register within 0\.4 s/,
    );
    expect(actions(error.details)).toEqual([
      'stop agent:done',
      'revoke join token:done',
      'remove .env:done',
      'destroy jail:done',
      'tenant → failed:done',
    ]);
    expect(error.details.causeDetails).toMatchObject({
      logTail: [],
      logPath: join(root, 'acme', 'agent.log'),
    });
    expect(await readdir(root)).toEqual([]);
    expect(tokenOf()?.[1]).toMatchObject({ revoked: true });
    expect(hive.agents).toEqual([]);
  });

  it('an agent that exits: failed at once with its log tail, the line holding the join token withheld', async () => {
    driver.behaviour = 'exits';
    const error = await failure(spawn({}, { registrationTimeoutMs: 60_000 }));
    expect(error.code).toBe('COLIBRI_SPAWN_FAILED');
    expect(error.message).toMatch(
      /failed at wait-registered: agent acme-agent exited before it registered \(last log line: "error: cannot reach colibrid"\)/,
    );
    expect(error.details.causeDetails?.logTail).toEqual([
      'starting acme-agent',
      WITHHELD_LINE,
      'error: cannot reach colibrid',
    ]);
    const token = tokenOf()?.[0] as string;
    expect(JSON.stringify(error.details)).not.toContain(token);
    expect(error.message).not.toContain(token);
    expect(actions(error.details)).toEqual([
      'stop agent:done',
      'revoke join token:done',
      'remove .env:done',
      'destroy jail:done',
      'tenant → failed:done',
    ]);
    expect(error.details.rollback[0]?.detail).toBe('the agent was not running');
  });

  it('a failure after the agent registered retires it', async () => {
    const original = hive.setTenantStatus;
    hive.setTenantStatus = async (tenant, status, reason) => {
      if (status === 'active') throw new ColibriError('COLIBRI_DAEMON_UNREACHABLE', 'colibrid went away', {});
      return original(tenant, status, reason);
    };
    const error = await failure(spawn());
    expect(error.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
    expect(error.details.step).toBe('activate-tenant');
    expect(actions(error.details)).toEqual([
      'stop agent:done',
      'retire agent:done',
      'revoke join token:done',
      'remove .env:done',
      'destroy jail:done',
      'tenant → failed:done',
    ]);
    expect(hive.agents[0]).toMatchObject({ name: 'acme-agent', retired: true });
    // Used tokens are not revoked (nothing to revoke): the registration is what was undone.
    expect(tokenOf()?.[1]).toMatchObject({ used: true, revoked: false });
  });

  it('a failing rollback action is reported loudly, and the others still run (the .env goes first)', async () => {
    driver.behaviour = 'never';
    driver.failures.destroy = new ColibriError('COLIBRI_JAIL_DRIVER_FAILED', 'rm failed: device busy', {});
    const error = await failure(spawn({}, { registrationTimeoutMs: 300 }));
    expect(actions(error.details)).toEqual([
      'stop agent:done',
      'revoke join token:done',
      'remove .env:done',
      'destroy jail:failed',
      'tenant → failed:done',
    ]);
    expect(error.message).toMatch(
      /rolled back: stop agent, revoke join token, remove \.env, destroy jail FAILED \(rm failed: device busy\), tenant → failed$/,
    );
    expect(await exists(envPath())).toBe(false);
  });

  it('losing the jail name to a concurrent spawn at create-jail changes nothing, the tenant included', async () => {
    driver.failures.create = new ColibriError('COLIBRI_JAIL_EXISTS', 'jail acme exists', {});
    const error = await failure(spawn());
    expect(error.code).toBe('COLIBRI_JAIL_EXISTS');
    expect(error.details.rollback).toEqual([]);
    expect(hive.tenants.get('acme')?.status).toBe('pending');
  });

  it('a driver failure at bootstrap destroys the jail it created', async () => {
    driver.failures.bootstrap = new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      'runtime missing: /opt/colibri',
      {},
    );
    const error = await failure(spawn());
    expect(error.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
    expect(actions(error.details)).toEqual(['destroy jail:done', 'tenant → failed:done']);
    expect(await readdir(root)).toEqual([]);
  });

  it('a non-colibri error becomes COLIBRI_SPAWN_FAILED', async () => {
    driver.failures.startAgent = new Error('spawn EACCES');
    const error = await failure(spawn());
    expect(error.code).toBe('COLIBRI_SPAWN_FAILED');
    expect(error.message).toMatch(
      /failed at start-agent: spawn EACCES; rolled back: stop agent, revoke join token, remove \.env, destroy jail, tenant → failed$/,
    );
  });

  it('a failed repair never destroys the jail nor retires the agent it found', async () => {
    const first = await spawn();
    driver.killAgent('acme');
    driver.behaviour = 'never';
    const error = await failure(spawn({}, { registrationTimeoutMs: 300 }));
    expect(error.code).toBe('COLIBRI_WAIT_TIMEOUT');
    expect(actions(error.details)).toEqual(['stop agent:done', 'remove .env:done', 'tenant → failed:done']);
    expect(driver.jails.has('acme')).toBe(true);
    expect(hive.agents.find((a) => a.id === first.agentId)?.retired).toBe(false);
    expect(await exists(envPath())).toBe(false);
  });
});
