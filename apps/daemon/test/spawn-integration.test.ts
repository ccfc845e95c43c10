// colibrid's own spawn operation end to end, run as root: colibrid started with the real linux
// jail driver (bwrap sandboxes as dedicated uids, keepers, per-jail sockets proxied to colibrid's
// socket), the directory secret source and a spawn policy file allowing tenant acme. A mother agent
// asks colibrid to spawn a child; the child registers from inside its jail with the join token
// colibrid put in its .env, as the mother's child at depth 1; the policy refuses a second child;
// the mother destroys hers. The cases share one colibrid and run in order.
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import { createLinuxDriver } from '@colibri/spawner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';
import { connectMcp, freePort, type ToolResult } from './mcp-harness.js';

/** A failure guard for one spawn: bootstrap, a sandbox start and a registration, on a loaded machine. */
const SPAWN_TIMEOUT_MS = 240_000;
const SECRET = 'acme-integration-secret-5d1c';

describe('POST /v1/spawn with the linux driver, as root', { timeout: SPAWN_TIMEOUT_MS }, () => {
  let base: string;
  let jailRoot: string;
  let daemon: Daemon;
  let mother: { id: string; token: string; client: ColibriClient };
  let childId: string;
  let mcpBase: string;
  const home = join('jails', 'acme', 'home', 'agent');

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'colibrid-spawn-it-'));
    // Jail users must traverse down to their homes (bwrap binds them as the jail uid).
    await chmod(base, 0o755);
    jailRoot = join(base, 'jails');
    const secretsDir = join(base, 'secrets');
    await mkdir(secretsDir, { mode: 0o700 });
    await writeFile(join(secretsDir, 'acme.env'), `ACME_KEY='${SECRET}'\n`, { mode: 0o600 });
    const policy = join(base, 'spawn-policy.yaml');
    await writeFile(
      policy,
      'maxChildren: 1\nmaxDepth: 1\nallowedTenants: [acme]\nallowedCapabilities: [linux]\n',
    );
    mcpBase = `http://127.0.0.1:${await freePort()}`;
    daemon = await startDaemon({
      args: [
        '--listen',
        mcpBase.slice('http://'.length),
        '--spawn-driver',
        'linux',
        '--jail-root',
        jailRoot,
        '--secrets-dir',
        secretsDir,
        '--spawn-policy',
        policy,
      ],
    });
    await daemon.operator.registerTenant({ tenant: 'acme' });
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'acme-mother',
      capabilities: ['linux'],
      tenant: 'acme',
    });
    mother = { id: agent.id, token, client: daemon.client(token) };
  }, SPAWN_TIMEOUT_MS);

  afterAll(async () => {
    // Whatever a failed case left running: stop every agent and remove every jail.
    const entries = await readdir(jailRoot).catch(() => [] as string[]);
    const driver = createLinuxDriver({ jailRoot });
    for (const name of entries.filter((entry) => !entry.startsWith('.'))) {
      await driver.destroy(name).catch(() => undefined);
    }
    await daemon?.dispose();
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  }, SPAWN_TIMEOUT_MS);

  it("spawns the mother's child in a jail: it registers with her lineage, its .env private to its uid", async () => {
    let report: Awaited<ReturnType<ColibriClient['spawnAgent']>>;
    try {
      report = await mother.client.spawnAgent(
        { name: 'acme-worker', tenant: 'acme', capabilities: ['linux'] },
        { timeoutMs: SPAWN_TIMEOUT_MS },
      );
    } catch (error) {
      const details = error instanceof ColibriError ? JSON.stringify(error.details, null, 2) : '';
      throw new Error(`spawn failed: ${(error as Error).message}\n${details}\n${daemon.logs().slice(-6000)}`);
    }
    expect(report).toMatchObject({
      agentName: 'acme-worker',
      tenant: 'acme',
      jail: 'acme',
      driver: 'linux',
      outcome: 'spawned',
    });
    expect(report.steps.map((step) => `${step.step}:${step.status}`)).toEqual([
      'preflight:done',
      'create-jail:done',
      'bootstrap:done',
      'provision:done',
      'reconfigure:skipped',
      'start-agent:done',
      'wait-registered:done',
      'activate-tenant:done',
    ]);
    childId = report.agentId;

    const { agents } = await daemon.operator.listAgents({ tenant: 'acme' });
    const child = agents.find((agent) => agent.name === 'acme-worker');
    expect(child).toMatchObject({
      id: report.agentId,
      tenant: 'acme',
      spawnedBy: mother.id,
      spawnDepth: 1,
      retiredAt: null,
      capabilities: ['linux'],
    });
    expect(child?.status).not.toBe('offline');
    expect((await daemon.operator.getTenant('acme')).tenant.status).toBe('active');

    // The .env: 0600, owned by the jail's own (non-root) uid, the tenant's secret and the join token.
    const envPath = join(base, home, '.env');
    const [envStat, homeStat] = await Promise.all([stat(envPath), stat(join(base, home))]);
    expect(envStat.mode & 0o777).toBe(0o600);
    expect(envStat.uid).toBe(homeStat.uid);
    expect(envStat.uid).not.toBe(0);
    const env = await readFile(envPath, 'utf8');
    expect(env).toContain(`ACME_KEY='${SECRET}'`);
    const joinToken = /^COLIBRI_JOIN_TOKEN='([^']+)'$/m.exec(env)?.[1];
    expect(joinToken).toBeDefined();
    // Spent: it registered the child and registers nothing more.
    const again = await daemon
      .client(joinToken)
      .registerAgent({ name: 'acme-intruder', capabilities: [] })
      .then(
        () => 'registered',
        (error: ColibriError) => error.code,
      );
    expect(again).toBe('COLIBRI_JOIN_TOKEN_INVALID');
    // Neither the token nor the secret reached colibrid's log.
    expect(daemon.logs()).not.toContain(joinToken);
    expect(daemon.logs()).not.toContain(SECRET);
    expect(daemon.logs()).toContain('spawn allowed by the spawn policy');
  });

  it('a second child is beyond maxChildren: refused with the reason, nothing created', async () => {
    const refused = await mother.client
      .spawnAgent({ name: 'acme-worker-2', tenant: 'acme', capabilities: ['linux'] })
      .then(
        () => undefined,
        (error: ColibriError) => error,
      );
    expect(refused?.code).toBe('COLIBRI_SPAWN_POLICY_DENIED');
    expect(refused?.details.reasons).toEqual([
      'acme-mother already has 1 child(ren) alive; the policy allows at most 1',
    ]);
    expect((await daemon.operator.listAgents()).agents.map((agent) => agent.name)).toEqual([
      'acme-mother',
      'acme-worker',
    ]);
    expect((await readdir(jailRoot)).filter((entry) => !entry.startsWith('.'))).toEqual(['acme']);
  });

  it('the mother destroys her child: retired, its jail and .env gone, its place free again', async () => {
    const report = await mother.client.destroyAgent('acme-worker', { timeoutMs: SPAWN_TIMEOUT_MS });
    expect(report).toMatchObject({
      agentName: 'acme-worker',
      tenant: 'acme',
      jail: 'acme',
      outcome: 'destroyed',
    });
    expect(
      await lstat(join(jailRoot, 'acme')).then(
        () => 'present',
        () => 'gone',
      ),
    ).toBe('gone');
    expect((await daemon.operator.listAgents()).agents.map((agent) => agent.name)).toEqual(['acme-mother']);
    const retired = (await daemon.operator.listAgents({ includeRetired: true })).agents.find(
      (agent) => agent.id === childId,
    );
    expect(retired?.retiredAt).not.toBeNull();
    // Destroying again: nothing is left, and it is no longer hers to destroy.
    expect(
      await mother.client.destroyAgent('acme-worker').then(
        () => 'destroyed',
        (error: ColibriError) => error.code,
      ),
    ).toBe('COLIBRI_FORBIDDEN');
    expect((await daemon.operator.destroyAgent('acme-worker', { tenant: 'acme' })).outcome).toBe('absent');
  });
  it("spawn_agent through colibrid's /mcp with the mother's token: a real jailed child, then the policy's refusal", async () => {
    const client = await connectMcp(mcpBase, mother.token, { query: '?toolsets=admin' });
    try {
      const progress: unknown[] = [];
      const spawned = (await client.callTool(
        {
          name: 'spawn_agent',
          arguments: { name: 'acme-mcp-child', tenant: 'acme', capabilities: ['linux'] },
        },
        { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true, timeout: SPAWN_TIMEOUT_MS },
      )) as ToolResult;
      if (spawned.isError)
        throw new Error(`spawn_agent failed: ${JSON.stringify(spawned.structuredContent)}`);
      expect(spawned.structuredContent).toMatchObject({
        agentName: 'acme-mcp-child',
        outcome: 'spawned',
        driver: 'linux',
      });
      const child = (await daemon.operator.listAgents({ tenant: 'acme' })).agents.find(
        (a) => a.name === 'acme-mcp-child',
      );
      expect(child).toMatchObject({ spawnedBy: mother.id, spawnDepth: 1 });
      expect(child?.status).not.toBe('offline');
      const refused = (await client.callTool({
        name: 'spawn_agent',
        arguments: { name: 'acme-mcp-child-2', tenant: 'acme', capabilities: ['linux'] },
      })) as ToolResult;
      expect(refused.isError).toBe(true);
      expect(refused.structuredContent).toMatchObject({
        error: {
          code: 'COLIBRI_SPAWN_POLICY_DENIED',
          details: { reasons: ['acme-mother already has 1 child(ren) alive; the policy allows at most 1'] },
        },
      });
    } finally {
      await client.close();
    }
  });
});
