// `colibri spawn-agent --jail` and `colibri destroy-agent` end to end, run as root: a real colibrid
// on SQLite, the real linux jail driver (bwrap sandboxes as dedicated uids, keepers, per-jail
// daemon sockets), the real pinned `bw` against the Bitwarden-compatible test server, the CLI
// spawned as `node bin/run.js …`. The cases share one hive and run in order. Each bw-backed
// provision costs several bw calls (seconds each), so only acme's spawn, its repair and the
// vault-down case use the vault server; the other tenants use the directory source.
import { execFile } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiAgent, IntakeTaskResponse, ShowTaskResponse, ShowTenantResponse } from '@colibri/api';
import { createClient } from '@colibri/client';
import type { DestroyReport, SpawnReport } from '@colibri/join';
import { createLinuxDriver } from '@colibri/spawner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BwTestServer, startBwTestServer } from '../../../test-fixtures/bw-server/index.mjs';
import {
  COLIBRI_BIN,
  cleanEnv,
  type Hive,
  type RunResult,
  startHive,
} from './testing/colibri-process.test-helper.js';

/** A failure guard per CLI run: a bw-backed provision is ~8 bw calls of 1.5-5 s each on a loaded machine. */
const RUN_TIMEOUT_MS = 240_000;
const SECRET = { dbPassword: 'acme-db-secret-7f21', apiKey: 'acme-api-key-3c9e' } as const;
const BETA_SECRET = 'beta-secret-51aa';
const OTHER_TENANT_SECRET = 'other-tenant-secret-e20b';
const STEP_LINE =
  /^[✓–✗] (preflight|create-jail|bootstrap|provision|reconfigure|start-agent|wait-registered|activate-tenant) +\d+\.\d\d s {2}\S/;

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

interface Envelope {
  error: {
    code: string;
    message: string;
    details: {
      step: string;
      steps: { step: string; status: string; detail: string }[];
      rollback: { action: string; status: string; detail: string }[];
      causeDetails?: { logTail?: string[]; checks?: { name: string; ok: boolean }[] };
    };
  };
}

describe('colibri spawn-agent --jail / destroy-agent, end to end as root', {
  timeout: RUN_TIMEOUT_MS,
}, () => {
  let hive: Hive;
  let vault: BwTestServer;
  let base: string;
  let jailRoot: string;
  let secretsDir: string;
  let handlersDir: string;
  let acmeAgentId: string;
  const home = (jail: string) => join(jailRoot, jail, 'home', 'agent');

  /** Runs the CLI against the hive with a generous guard (the shared helper's 60 s is too short for bw). */
  function colibri(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [COLIBRI_BIN, ...args],
        { env: cleanEnv({ COLIBRI_HOME: hive.home, ...env }), encoding: 'utf8', timeout: RUN_TIMEOUT_MS },
        (error, stdout, stderr) => {
          const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          resolve({ status, stdout, stderr });
        },
      );
    });
  }
  /**
   * The CLI run as an operator's shell would after `exec 30<other-tenant.env` and with a pipe on
   * fd 31 (a named one, so that its path shows wherever it is held).
   */
  function colibriHolding(secretFile: string, fifo: string, args: readonly string[]): Promise<RunResult> {
    const quoted = [process.execPath, COLIBRI_BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`);
    return new Promise((resolve) => {
      execFile(
        '/bin/bash',
        ['-c', `exec 30<'${secretFile}' 31<>'${fifo}' && exec ${quoted.join(' ')}`],
        { env: cleanEnv({ COLIBRI_HOME: hive.home }), encoding: 'utf8', timeout: RUN_TIMEOUT_MS },
        (error, stdout, stderr) => {
          const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          resolve({ status, stdout, stderr });
        },
      );
    });
  }
  async function json<T>(args: readonly string[], env: Record<string, string> = {}): Promise<T> {
    const result = await colibri([...args, '--json'], env);
    if (result.status !== 0)
      throw new Error(`colibri ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }
  /** A failed `--json` run: its exit code and error envelope. */
  async function failed(args: readonly string[], env: Record<string, string> = {}) {
    const result = await colibri([...args, '--json'], env);
    expect(result.status, result.stdout + result.stderr).not.toBe(0);
    return { status: result.status, envelope: JSON.parse(result.stdout) as Envelope };
  }
  const bitwarden = () => ({
    BW_CLIENTID: vault.user.clientId,
    BW_CLIENTSECRET: vault.user.clientSecret,
    BW_PASSWORD: vault.user.masterPassword,
    COLIBRI_VAULT_SERVER: vault.url,
    NODE_EXTRA_CA_CERTS: vault.caCertPath,
  });
  const spawnFlags = (tenant: string, ...extra: string[]) => [
    '--jail',
    '--tenant',
    tenant,
    '--jail-root',
    jailRoot,
    '--handlers',
    handlersDir,
    ...extra,
  ];
  const directory = ['--source', 'directory', '--secrets-dir'];
  const agents = async () => (await json<{ agents: ApiAgent[] }>(['list-agents'])).agents;
  const tenantStatus = async (tenant: string) =>
    (await json<ShowTenantResponse>(['show-tenant', tenant])).tenant.status;
  /** Every `.env` under the jail root (as root sees it). */
  async function envFiles(dir = jailRoot): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) found.push(...(await envFiles(path)));
      else if (entry.name === '.env') found.push(path);
    }
    return found;
  }
  const jails = async () => (await readdir(jailRoot)).filter((name) => !name.startsWith('.')).sort();
  const exists = (path: string) =>
    lstat(path).then(
      () => true,
      () => false,
    );
  const runTask = (tenant: string, tags: string, payload: object) =>
    json<ShowTaskResponse>([
      'intake-task',
      '--title',
      `${tenant} ${tags}`,
      '--tenant',
      tenant,
      '--capabilities',
      tags,
      '--payload',
      JSON.stringify(payload),
      '--wait',
      '--wait-timeout',
      '120',
    ]);

  beforeAll(async () => {
    hive = await startHive();
    base = await mkdtemp(join(tmpdir(), 'colibri-spawn-e2e-'));
    // Jail users must traverse down to their homes (bwrap binds them as the jail uid).
    await chmod(base, 0o755);
    jailRoot = join(base, 'jails');
    secretsDir = join(base, 'secrets');
    handlersDir = join(base, 'handlers');
    await mkdir(secretsDir, { mode: 0o700 });
    await mkdir(handlersDir, { mode: 0o755 });
    for (const tenant of ['beta', 'delta', 'epsilon', 'zeta']) {
      await writeFile(
        join(secretsDir, `${tenant}.env`),
        `${tenant.toUpperCase()}_KEY='${BETA_SECRET}-${tenant}'\n`,
        {
          mode: 0o600,
        },
      );
    }
    await writeFile(join(handlersDir, 'echo'), '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    // Run by beta's agent: tries to read acme's .env and to list the jail root by their host paths.
    await writeFile(
      join(handlersDir, 'probe'),
      [
        '#!/bin/bash',
        'cat >/dev/null',
        // What the spawning CLI held (fd 30: a root-only file, fd 31: a pipe end) must not be here.
        'echo "fds: $(for f in /proc/$$/fd/* /proc/$PPID/fd/*; do readlink "$f"; done | tr \'\\n\' \' \')"',
        'if out=$(cat <&30 2>&1); then echo "fd30: READ $out"; else echo "fd30: failed"; fi',
        `if out=$(cat '${join(home('acme'), '.env')}' 2>&1); then echo "cat: READ $out"; else echo "cat: failed: $out"; fi`,
        `if out=$(ls -a '${jailRoot}' 2>&1); then echo "ls: LISTED $out"; else echo "ls: failed: $out"; fi`,
        `echo "ls-home: $(ls -A /home | tr '\\n' ' ')"`,
        'echo "uid: $(id -u)"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await chmod(join(handlersDir, 'echo'), 0o755);
    await chmod(join(handlersDir, 'probe'), 0o755);

    vault = await startBwTestServer();
    const acme = vault.addCollection('acme');
    vault.addItem({
      name: 'DATABASE_PASSWORD',
      type: 'login',
      collectionIds: [acme],
      password: SECRET.dbPassword,
      fields: [{ name: 'API_KEY', value: SECRET.apiKey, type: 1 }],
    });
    vault.addCollection('gamma');
    for (const tenant of ['acme', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']) {
      const result = await colibri(['register-tenant', tenant]);
      expect(result.status, result.stderr).toBe(0);
    }
  }, RUN_TIMEOUT_MS);

  afterAll(async () => {
    // Whatever a failed case left running: stop every agent and remove every jail.
    if (jailRoot !== undefined && (await exists(jailRoot))) {
      const driver = createLinuxDriver({ jailRoot });
      for (const name of await jails()) await driver.destroy(name).catch(() => undefined);
    }
    await vault?.close();
    await hive?.stop();
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  }, RUN_TIMEOUT_MS);

  it("spawns acme's agent: every step shown, .env 0600 owned by the jail uid with secrets and a spent join token, a task done", async () => {
    const result = await colibri(
      ['spawn-agent', 'acme-agent', ...spawnFlags('acme', '--capabilities', 'linux,echo')],
      bitwarden(),
    );
    expect(result.status, result.stderr).toBe(0);
    const progress = lines(result.stderr);
    expect(progress.map((line) => STEP_LINE.exec(line)?.[1])).toEqual([
      'preflight',
      'create-jail',
      'bootstrap',
      'provision',
      'reconfigure',
      'start-agent',
      'wait-registered',
      'activate-tenant',
    ]);
    expect(progress.filter((line) => !line.startsWith('✓'))).toEqual([
      expect.stringMatching(/^– reconfigure .*a new agent: it starts with the requested settings$/),
    ]);
    expect(lines(result.stdout)).toEqual([
      expect.stringMatching(
        /^agent acme-agent joined the hive: tenant acme, jail acme \(linux\), agent id \S+$/,
      ),
    ]);

    const homeStats = await stat(home('acme'));
    const envPath = join(home('acme'), '.env');
    const envStats = await stat(envPath);
    expect(homeStats.uid).not.toBe(0);
    expect([envStats.mode & 0o7777, envStats.uid, envStats.gid]).toEqual([
      0o600,
      homeStats.uid,
      homeStats.gid,
    ]);
    const env = await readFile(envPath, 'utf8');
    expect(env).toContain(`API_KEY='${SECRET.apiKey}'\n`);
    expect(env).toContain(`DATABASE_PASSWORD='${SECRET.dbPassword}'\n`);
    const token = /^COLIBRI_JOIN_TOKEN='([^']+)'$/m.exec(env)?.[1] as string;
    expect(token).toBeDefined();
    // Nothing secret on the operator's screen.
    for (const secret of [
      token,
      SECRET.apiKey,
      SECRET.dbPassword,
      vault.user.clientSecret,
      vault.user.masterPassword,
    ]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    // The join token is spent: a second registration with it is refused.
    const intruder = createClient({ socketPath: hive.socket, token });
    await expect(intruder.registerAgent({ name: 'intruder', capabilities: [] })).rejects.toMatchObject({
      code: expect.stringMatching(/^COLIBRI_(JOIN_TOKEN_INVALID|UNAUTHENTICATED)$/),
    });

    const agent = (await agents()).find((a) => a.name === 'acme-agent');
    acmeAgentId = agent?.id as string;
    expect(agent?.tenant).toBe('acme');
    expect([...(agent?.capabilities ?? [])].sort()).toEqual(['echo', 'linux']);
    expect(agent?.status).not.toBe('offline');
    expect(await tenantStatus('acme')).toBe('active');
    // The jail runs the CLI's light run-agent entry (no oclif), with run-agent's own command line.
    const launched = JSON.parse(await readFile(join(jailRoot, 'acme', 'run', 'launch.json'), 'utf8')) as {
      agentArgv: string[];
    };
    expect(launched.agentArgv[1]).toBe(
      fileURLToPath(new URL('../dist/run-agent.bundle.cjs', import.meta.url)),
    );
    expect(launched.agentArgv[2]).toBe('run-agent');

    const done = await runTask('acme', 'echo', { handler: 'echo', n: 1 });
    expect(done.task).toMatchObject({
      status: 'done',
      assignedAgentId: acmeAgentId,
      result: { handler: 'echo', n: 1 },
    });
  });

  it("beta's agent cannot read acme's .env nor see the jail root, and never receives acme's tasks", async () => {
    // Spawned from a shell holding another tenant's file on fd 30 and a pipe end on fd 31.
    const otherTenant = join(base, 'other-tenant.env');
    await writeFile(otherTenant, `OTHER='${OTHER_TENANT_SECRET}'\n`, { mode: 0o600 });
    const fifo = join(base, 'operator-pipe');
    await new Promise((resolve) => execFile('mkfifo', ['-m', '600', fifo], resolve));
    const spawned = await colibriHolding(otherTenant, fifo, [
      'spawn-agent',
      'beta-agent',
      ...spawnFlags('beta', '--capabilities', 'linux,probe,echo,beta-only', ...directory, secretsDir),
      '--json',
    ]);
    expect(spawned.status, spawned.stderr).toBe(0);
    const report = JSON.parse(spawned.stdout) as SpawnReport;
    expect(report).toMatchObject({
      agentName: 'beta-agent',
      tenant: 'beta',
      jail: 'beta',
      outcome: 'spawned',
      tenantSecrets: 1,
    });
    const betaId = report.agentId;
    expect(betaId).not.toBe(acmeAgentId);

    const probe = await runTask('beta', 'probe', { handler: 'probe' });
    expect(probe.task.status).toBe('done');
    expect(probe.task.assignedAgentId).toBe(betaId);
    const output = (probe.task.result as { stdout: string }).stdout;
    expect(output).toMatch(/^cat: failed: /m);
    expect(output).toMatch(/^fd30: failed$/m);
    expect(output).toMatch(/^fds: /m);
    expect(output).not.toContain(otherTenant);
    expect(output).not.toContain(OTHER_TENANT_SECRET);
    expect(output).not.toContain(fifo);
    expect(output).toMatch(/^ls: failed: /m);
    // The only home in its sandbox is its own.
    expect(output).toMatch(/^ls-home: agent $/m);
    expect(output).toMatch(new RegExp(`^uid: ${(await stat(home('beta'))).uid}$`, 'm'));
    expect(output).not.toContain(SECRET.apiKey);
    expect(output).not.toContain(SECRET.dbPassword);

    // acme's tasks go to acme's agent only, even when beta's agent has the tags too…
    for (let n = 0; n < 3; n++) {
      const done = await runTask('acme', 'echo', { handler: 'echo', n });
      expect(done.task.assignedAgentId).toBe(acmeAgentId);
    }
    // …and a task for acme that only beta's agent could do is parked, never given to it.
    const parked = await json<IntakeTaskResponse>([
      'intake-task',
      '--title',
      'acme needs beta-only',
      '--tenant',
      'acme',
      '--capabilities',
      'beta-only',
    ]);
    expect(parked.task).toMatchObject({ status: 'parked', assignedAgentId: null });
    const shown = await json<ShowTaskResponse>(['show-task', parked.task.id]);
    expect(shown.task).toMatchObject({ status: 'parked', assignedAgentId: null });
    expect(shown.events.some((event) => JSON.stringify(event).includes(betaId))).toBe(false);
  });

  it('a rerun with other capabilities and network reconfigures the agent (visible step); the same again is all skipped', async () => {
    const before = (await agents()).find((a) => a.name === 'beta-agent');
    const wider = ['--capabilities', 'linux,probe,echo,beta-only,gpu-extra', '--network', 'host'];
    const changed = await colibri([
      'spawn-agent',
      'beta-agent',
      ...spawnFlags('beta', ...wider, ...directory, secretsDir),
    ]);
    expect(changed.status, changed.stderr).toBe(0);
    expect(lines(changed.stderr)).toContainEqual(
      expect.stringMatching(
        /^✓ reconfigure .*capabilities beta-only,echo,linux,probe → beta-only,echo,gpu-extra,linux,probe; network none → host: the agent was stopped to start again with them$/,
      ),
    );
    expect(lines(changed.stdout)).toEqual([
      expect.stringMatching(/^agent beta-agent repaired and back in the hive/),
    ]);
    const after = (await agents()).find((a) => a.name === 'beta-agent');
    expect(after?.id).toBe(before?.id);
    expect([...(after?.capabilities ?? [])].sort()).toEqual([
      'beta-only',
      'echo',
      'gpu-extra',
      'linux',
      'probe',
    ]);
    const record = JSON.parse(await readFile(join(jailRoot, 'beta', 'jail.json'), 'utf8'));
    expect(record.launched).toMatchObject({
      network: 'host',
      capabilities: ['beta-only', 'echo', 'gpu-extra', 'linux', 'probe'],
    });

    const same = await json<SpawnReport>([
      'spawn-agent',
      'beta-agent',
      ...spawnFlags('beta', ...wider, ...directory, secretsDir),
    ]);
    expect(same.outcome).toBe('already-healthy');
    expect(same.steps.map((step) => step.status)).toEqual(Array(8).fill('skipped'));
  });

  it('a rerun on the healthy agent changes nothing; after its keeper is SIGKILLed a rerun repairs it', async () => {
    const envPath = join(home('acme'), '.env');
    const before = await stat(envPath);
    const healthy = await json<SpawnReport>(
      ['spawn-agent', 'acme-agent', ...spawnFlags('acme', '--capabilities', 'linux,echo')],
      bitwarden(),
    );
    expect(healthy.outcome).toBe('already-healthy');
    expect(healthy.agentId).toBe(acmeAgentId);
    expect(healthy.steps.map((s) => s.status)).toEqual(Array(8).fill('skipped'));
    const after = await stat(envPath);
    expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);

    const keeper = Number((await readFile(join(jailRoot, 'acme', 'run', 'keeper.pid'), 'utf8')).trim());
    process.kill(keeper, 'SIGKILL');
    while (await exists(`/proc/${keeper}`)) await new Promise((resolve) => setTimeout(resolve, 50));

    const repaired = await colibri(
      ['spawn-agent', 'acme-agent', ...spawnFlags('acme', '--capabilities', 'linux,echo')],
      bitwarden(),
    );
    expect(repaired.status, repaired.stderr).toBe(0);
    expect(lines(repaired.stdout)).toEqual([
      expect.stringMatching(/^agent acme-agent repaired and back in the hive/),
    ]);
    const progress = lines(repaired.stderr);
    expect(progress[1]).toMatch(/^– create-jail .*repairing: agent not running/);
    expect(progress.filter((line) => line.startsWith('✓')).map((line) => STEP_LINE.exec(line)?.[1])).toEqual([
      'preflight',
      'provision',
      'start-agent',
      'wait-registered',
      'activate-tenant',
    ]);
    // Registered already (its own token kept in the jail): no new join token, the secrets only.
    expect(await readFile(envPath, 'utf8')).not.toContain('COLIBRI_JOIN_TOKEN');
    const done = await runTask('acme', 'echo', { handler: 'echo', n: 'again' });
    expect(done.task).toMatchObject({ status: 'done', assignedAgentId: acmeAgentId });
    expect((await agents()).filter((a) => a.name === 'acme-agent')).toHaveLength(1);
  });

  it('bad tenant names are refused with exit 2 before anything happens', async () => {
    const before = await jails();
    for (const tenant of ['../x', 'ALL', 'all']) {
      const result = await colibri([
        'spawn-agent',
        'acme-agent',
        ...spawnFlags(tenant, ...directory, secretsDir),
      ]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/tenant name .* \[COLIBRI_INVALID_NAME\]/);
    }
    // A secrets directory that is not there is a configuration error, not "no secrets".
    for (const missing of [join(base, 'nonexistent'), join(secretsDir, 'beta.env')]) {
      const result = await colibri(['spawn-agent', 'zeta', ...spawnFlags('zeta', ...directory, missing)]);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        /--secrets-dir .* (does not exist|is not a directory): .*\[COLIBRI_INVALID_INPUT\]/,
      );
      expect(result.stderr).not.toMatch(/preflight|create-jail/);
    }
    expect(await tenantStatus('zeta')).toBe('pending');
    const noJail = await colibri(['spawn-agent', 'zeta', '--tenant', 'zeta', ...directory, secretsDir]);
    expect(noJail.status).toBe(2);
    expect(noJail.stderr).toMatch(/pass --jail/);
    expect(await jails()).toEqual(before);
  });

  it("an existing jail (planted by hand, or another agent's) is refused with exit 4 and left untouched", async () => {
    await mkdir(join(jailRoot, 'zeta'), { mode: 0o755 });
    await writeFile(join(jailRoot, 'zeta', 'operator-notes'), 'mine\n');
    const planted = await failed(['spawn-agent', 'zeta', ...spawnFlags('zeta', ...directory, secretsDir)]);
    expect(planted.status).toBe(4);
    expect(planted.envelope.error).toMatchObject({
      code: 'COLIBRI_JAIL_EXISTS',
      message: expect.stringMatching(
        /failed at preflight: jail zeta exists but colibri did not create it.*rolled back: nothing$/,
      ),
      details: { step: 'preflight', rollback: [] },
    });
    expect((await readdir(join(jailRoot, 'zeta'))).sort()).toEqual(['operator-notes']);
    expect(await readFile(join(jailRoot, 'zeta', 'operator-notes'), 'utf8')).toBe('mine\n');
    expect(await tenantStatus('zeta')).toBe('pending');
    await rm(join(jailRoot, 'zeta'), { recursive: true });

    const keeper = await readFile(join(jailRoot, 'acme', 'run', 'keeper.pid'), 'utf8');
    const other = await failed([
      'spawn-agent',
      'other-agent',
      ...spawnFlags('acme', ...directory, secretsDir),
    ]);
    expect(other.status).toBe(4);
    expect(other.envelope.error.message).toMatch(/jail acme already holds agent acme-agent of tenant acme/);
    expect(await readFile(join(jailRoot, 'acme', 'run', 'keeper.pid'), 'utf8')).toBe(keeper);
    expect(await tenantStatus('acme')).toBe('active');
    expect((await agents()).map((a) => a.name)).not.toContain('other-agent');
  });

  it('a failed preflight (jail root a symlink, or group-writable) lists every failed check and creates nothing', async () => {
    const real = join(base, 'real-root');
    await mkdir(real, { mode: 0o711 });
    const link = join(base, 'linked-root');
    await symlink(real, link);
    const linked = await colibri([
      'spawn-agent',
      'zeta',
      '--jail',
      '--jail-root',
      link,
      ...directory,
      secretsDir,
    ]);
    expect(linked.status).toBe(5);
    expect(linked.stderr).toMatch(/✗ jail-root: .*is a symlink — fix: /);
    expect(linked.stderr).toMatch(/✗ trial-sandbox: /);
    expect(linked.stderr).toMatch(
      /failed at preflight: the linux jail host is not ready, 2 check\(s\) failed: .*rolled back: nothing \[COLIBRI_PREFLIGHT_FAILED\]/,
    );
    expect(await readdir(real)).toEqual([]);

    const writable = join(base, 'writable-root');
    await mkdir(writable);
    await chmod(writable, 0o775);
    const open = await failed([
      'spawn-agent',
      'zeta',
      '--jail',
      '--jail-root',
      writable,
      ...directory,
      secretsDir,
    ]);
    expect(open.status).toBe(5);
    expect(open.envelope.error.code).toBe('COLIBRI_PREFLIGHT_FAILED');
    expect(
      open.envelope.error.details.causeDetails?.checks?.filter((c) => !c.ok).map((c) => c.name),
    ).toContain('jail-root');
    expect(await readdir(writable)).toEqual([]);
    expect(await tenantStatus('zeta')).toBe('pending');
  });

  it('the vault down: fails at provision, the token revoked, the jail destroyed, no .env anywhere, the tenant failed', async () => {
    await vault.stop();
    try {
      const result = await colibri(['spawn-agent', 'gamma-agent', ...spawnFlags('gamma')], bitwarden());
      expect(result.status).toBe(5);
      const progress = lines(result.stderr);
      expect(
        progress
          .filter((line) => STEP_LINE.test(line))
          .map((line) => line.slice(0, 1) + STEP_LINE.exec(line)?.[1]),
      ).toEqual(['✓preflight', '✓create-jail', '✓bootstrap', '✗provision']);
      expect(progress.filter((line) => line.startsWith('↩'))).toEqual([
        '↩ rolled back revoke join token: the join token can no longer register anything',
        expect.stringMatching(/^↩ rolled back destroy jail: jail gamma destroyed$/),
        '↩ rolled back tenant → failed: tenant gamma marked failed',
      ]);
      expect(result.stderr).toMatch(
        /colibri: spawn of gamma-agent failed at provision: .*; rolled back: revoke join token, destroy jail, tenant → failed \[COLIBRI_VAULT_/,
      );
    } finally {
      await vault.restart();
    }
    expect(await jails()).not.toContain('gamma');
    expect(await envFiles()).toEqual([join(home('acme'), '.env'), join(home('beta'), '.env')]);
    expect(await tenantStatus('gamma')).toBe('failed');
    expect((await agents()).map((a) => a.name)).not.toContain('gamma-agent');
  });

  it('an agent that never registers: COLIBRI_WAIT_TIMEOUT with its log tail, its join token revoked, everything rolled back', async () => {
    const envPath = join(home('delta'), '.env');
    // No delta.env in the directory: the no-secrets case, said so.
    await rm(join(secretsDir, 'delta.env'));
    const running = failed([
      'spawn-agent',
      'delta-agent',
      ...spawnFlags(
        'delta',
        ...directory,
        secretsDir,
        '--daemon-url',
        'http://127.0.0.1:1',
        '--registration-timeout',
        '8',
      ),
    ]);
    // Catch the join token while the .env exists, to prove afterwards that it was revoked.
    let token: string | undefined;
    const watch = (async () => {
      for (let i = 0; i < 20_000 && token === undefined; i++) {
        const text = await readFile(envPath, 'utf8').catch(() => '');
        token = /^COLIBRI_JOIN_TOKEN='([^']+)'$/m.exec(text)?.[1];
        if (token === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const { status, envelope } = await running;
    await watch;
    expect(status).toBe(5);
    expect(envelope.error.code).toBe('COLIBRI_WAIT_TIMEOUT');
    expect(envelope.error.message).toMatch(
      /^spawn of delta-agent failed at wait-registered: agent delta-agent did not register within 8 s.*rolled back: stop agent, revoke join token, remove \.env, destroy jail, tenant → failed$/,
    );
    expect(envelope.error.details.steps.find((s) => s.step === 'provision')?.detail).toMatch(
      /^no secrets for tenant delta: the agent starts with only its join token \(\.env written: 1 variable\(s\), /,
    );
    expect(envelope.error.details.rollback.map((a) => `${a.action}:${a.status}`)).toEqual([
      'stop agent:done',
      'revoke join token:done',
      'remove .env:done',
      'destroy jail:done',
      'tenant → failed:done',
    ]);
    expect(envelope.error.details.causeDetails?.logTail?.join('\n')).toMatch(
      /COLIBRI_DAEMON_UNREACHABLE|connection-lost/,
    );
    expect(token).toBeDefined();
    expect(JSON.stringify(envelope)).not.toContain(token);
    const late = createClient({ socketPath: hive.socket, token: token as string });
    await expect(
      late.registerAgent({ name: 'delta-agent', tenant: 'delta', capabilities: [] }),
    ).rejects.toMatchObject({
      code: expect.stringMatching(/^COLIBRI_(JOIN_TOKEN_INVALID|UNAUTHENTICATED)$/),
    });
    expect(await jails()).not.toContain('delta');
    expect(await envFiles()).toEqual([join(home('acme'), '.env'), join(home('beta'), '.env')]);
    expect(await tenantStatus('delta')).toBe('failed');
    expect((await agents()).map((a) => a.name)).not.toContain('delta-agent');
  });

  it('an agent that exits at once: failed with the last lines of its log, rollback complete', async () => {
    // A runtime of the same version whose run-agent gives up immediately.
    const runtime = join(base, 'broken-runtime');
    await mkdir(join(runtime, 'bin'), { recursive: true, mode: 0o755 });
    await chmod(runtime, 0o755);
    await chmod(join(runtime, 'bin'), 0o755);
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    await writeFile(
      join(runtime, 'package.json'),
      JSON.stringify({ name: 'broken', version, type: 'module' }),
      {
        mode: 0o644,
      },
    );
    await writeFile(
      join(runtime, 'bin', 'run.js'),
      [
        `if (process.argv[2] === '--version') { console.log('@colibri/cli/${version} linux-x64'); process.exit(0); }`,
        "console.log('broken runtime: started as uid ' + process.getuid());",
        "console.error('broken runtime: giving up without registering');",
        // A hostile log line: a window title change and a fake green line for the operator's terminal.
        "console.error('\\u001b]0;owned\\u0007\\u001b[32m✓ all good\\u001b[0m\\r');",
        'process.exit(3);',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const result = await colibri([
      'spawn-agent',
      'epsilon-agent',
      ...spawnFlags('epsilon', ...directory, secretsDir, '--runtime-dir', runtime),
    ]);
    expect(result.status).toBe(5);
    expect(result.stderr).toMatch(/^ {2}\| broken runtime: giving up without registering$/m);
    // Replayed escaped, never raw: nothing in what colibri printed drives the terminal.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(result.stderr).toContain('  | \\x1b]0;owned\\x07\\x1b[32m✓ all good\\x1b[0m');
    expect(result.stderr).toMatch(
      /colibri: spawn of epsilon-agent failed at wait-registered: agent epsilon-agent exited before it registered.*rolled back: stop agent, revoke join token, remove \.env, destroy jail, tenant → failed \[COLIBRI_SPAWN_FAILED\]/,
    );
    expect(await jails()).not.toContain('epsilon');
    expect(await envFiles()).toEqual([join(home('acme'), '.env'), join(home('beta'), '.env')]);
    expect(await tenantStatus('epsilon')).toBe('failed');
  });

  it('destroy-agent: retired (not listed, its token refused), jail gone, tenant pending; again: absent', async () => {
    const state = JSON.parse(
      await readFile(join(home('acme'), '.colibri', 'agents', 'acme-agent', 'agent.json'), 'utf8'),
    ) as { agentId: string; token: string };
    expect(state.agentId).toBe(acmeAgentId);
    const result = await colibri(['destroy-agent', 'acme-agent', '--jail-root', jailRoot]);
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stderr).map((line) => line.slice(0, 16))).toEqual([
      '✓ retire-agent  ',
      '✓ stop-agent    ',
      '✓ destroy-jail  ',
      '✓ tenant-status ',
    ]);
    expect(await jails()).not.toContain('acme');
    expect((await agents()).map((a) => a.name)).not.toContain('acme-agent');
    const retired = createClient({ socketPath: hive.socket, token: state.token });
    await expect(retired.heartbeat(state.agentId)).rejects.toMatchObject({
      code: expect.stringMatching(/^COLIBRI_(UNAUTHENTICATED|AGENT_RETIRED)$/),
    });
    expect(await tenantStatus('acme')).toBe('pending');

    const again = await json<DestroyReport>(['destroy-agent', 'acme-agent', '--jail-root', jailRoot]);
    expect(again).toMatchObject({ agentName: 'acme-agent', tenant: 'acme', outcome: 'absent' });
    expect(again.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);

    const beta = await json<DestroyReport>(['destroy-agent', 'beta-agent', '--jail-root', jailRoot]);
    expect(beta.outcome).toBe('destroyed');
    expect(await jails()).toEqual([]);
    expect(await envFiles()).toEqual([]);
  });
});
