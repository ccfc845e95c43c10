// Several colibri processes provisioning at once through ONE bw appdata dir, with the real bw and
// the test server: bw keeps one session slot per appdata dir, so without the cross-process lock
// their unlocks would invalidate each other (and two would race to configure and log in, since
// the dir starts fresh). Each worker is a separate Node process running the built package.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BwTestServer, startBwTestServer } from '../../../test-fixtures/bw-server/index.mjs';
import type { ProvisionResult } from '../src/index.js';
import { listTree } from './support/files.js';
import { type ProcessSamples, startProcessSampler } from './support/process-sampler.js';

const WORKER = fileURLToPath(new URL('./support/provision-worker.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const TENANTS = ['conc-1', 'conc-2', 'conc-3'] as const;
const FIRST_UID = 24561;
/** A failure guard: three processes take turns for ~25 bw calls of 1.5-5 s each on a loaded machine. */
const WORKERS_TIMEOUT_MS = 400_000;
const secretOf = (tenant: string) => `concurrent-secret-${tenant}-8e21`;

interface WorkerReport {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly results: ProvisionResult[];
  readonly steps: string[];
}

/** Starts one worker and writes its job to stdin; resolves when it has exited. */
function runWorker(job: unknown): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const parsed = exitCode === 0 ? (JSON.parse(stdout) as Pick<WorkerReport, 'results' | 'steps'>) : null;
      resolve({
        pid: child.pid ?? -1,
        exitCode,
        stderr,
        results: parsed?.results ?? [],
        steps: parsed?.steps ?? [],
      });
    });
    child.stdin.end(JSON.stringify(job));
  });
}

describe('concurrent provisions from separate processes sharing one fresh appdata dir', () => {
  let server: BwTestServer;
  let stateDir: string;
  let treeDir: string;
  let root: string;
  let reports: WorkerReport[];
  let samples: ProcessSamples;
  const collectionIds: Record<string, string> = {};
  const home = (tenant: string) => join(root, tenant, 'home');
  const owner = (tenant: string) => {
    const id = FIRST_UID + TENANTS.indexOf(tenant as (typeof TENANTS)[number]);
    return { uid: id, gid: id };
  };

  beforeAll(async () => {
    if (!existsSync(DIST))
      throw new Error(`${DIST} is missing: run pnpm --filter @colibri/vault run build first`);
    server = await startBwTestServer();
    stateDir = await mkdtemp(join(tmpdir(), 'colibri-vault-conc-state-'));
    treeDir = await mkdtemp(join(tmpdir(), 'colibri-vault-conc-tree-'));
    root = join(treeDir, 'jails');
    for (const tenant of TENANTS) {
      await mkdir(home(tenant), { recursive: true });
      await chown(home(tenant), owner(tenant).uid, owner(tenant).gid);
      const id = server.addCollection(tenant);
      collectionIds[tenant] = id;
      server.addItem({
        name: 'WORKER_TOKEN',
        type: 'login',
        collectionIds: [id],
        password: secretOf(tenant),
      });
    }
    await chmod(treeDir, 0o755);

    const sampler = startProcessSampler();
    try {
      reports = await Promise.all(
        TENANTS.map((tenant) =>
          runWorker({
            serverUrl: server.url,
            caCertPath: server.caCertPath,
            appDataDir: join(stateDir, 'bw'),
            credentials: {
              clientId: server.user.clientId,
              clientSecret: server.user.clientSecret,
              masterPassword: server.user.masterPassword,
            },
            allowedRoot: root,
            tenants: [
              {
                tenantId: tenant,
                collectionName: tenant,
                cachedCollectionId: null,
                jailHome: home(tenant),
                owner: owner(tenant),
              },
            ],
          }),
        ),
      );
    } finally {
      samples = sampler.stop();
    }
  }, WORKERS_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    for (const dir of [stateDir, treeDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every process succeeds and writes its own tenant exactly', async () => {
    for (const report of reports) expect(report.exitCode, report.stderr).toBe(0);
    expect(
      reports.map((report) => report.results.map((r) => [r.tenantId, r.outcome, r.collectionId])),
    ).toEqual(TENANTS.map((tenant) => [[tenant, 'written', collectionIds[tenant]]]));
    for (const tenant of TENANTS) {
      expect(await readFile(join(home(tenant), '.env'), 'utf8')).toBe(`WORKER_TOKEN='${secretOf(tenant)}'\n`);
      const stats = await stat(join(home(tenant), '.env'));
      expect([stats.mode & 0o7777, stats.uid, stats.gid]).toEqual([
        0o600,
        owner(tenant).uid,
        owner(tenant).gid,
      ]);
    }
    expect((await listTree(treeDir)).filter((line) => line.includes(' f '))).toEqual(
      TENANTS.map((tenant) => `jails/${tenant}/home/.env f 600 ${owner(tenant).uid}:${owner(tenant).gid}`),
    );
  });

  it('the cross-process lock serialized bw: no two processes ever had a bw child at the same moment', () => {
    const workers = reports.map((report) => report.pid).sort((a, b) => a - b);
    expect([...new Set(samples.bw.map((child) => child.branch))].sort((a, b) => a - b)).toEqual(workers);
    expect(samples.concurrentBranches.length).toBeGreaterThan(50);
    expect(samples.concurrentBranches.filter((branches) => branches.length > 1)).toEqual([]);
  });

  it('exactly one process configured the server and logged in; each unlocked, synced and locked through one bw serve', () => {
    const count = (command: string) => samples.bw.filter((child) => child.args[0] === command).length;
    // The first in line also started a serve process that ended at once (logged out), then logged in.
    expect([count('config'), count('login'), count('serve'), count('unlock'), count('sync')]).toEqual([
      1, 1, 4, 0, 0,
    ]);
    for (const report of reports) {
      expect(report.steps.filter((step) => /^(serve|unlock|sync|lock):true$/.test(step))).toEqual([
        'serve:true',
        'unlock:true',
        'sync:true',
        'lock:true',
      ]);
    }
    const loggedIn = reports.filter((report) => report.steps.includes('login:true'));
    expect(loggedIn).toHaveLength(1);
    for (const report of reports.filter((r) => r !== loggedIn[0])) {
      expect(report.steps).toEqual([
        'version:true',
        'serve:true',
        'unlock:true',
        'sync:true',
        'collections:true',
        'lock:true',
      ]);
    }
  });

  it('no secret on any argv: the workers got their job on stdin, bw its API key in its environment, the password over the socket', () => {
    for (const child of samples.bw) {
      expect(Object.keys(child.secretEnv)).toEqual(child.args[0] === 'login' ? ['BW_CLIENTSECRET'] : []);
    }
    const forbidden = [server.user.clientSecret, server.user.masterPassword, ...TENANTS.map(secretOf)];
    expect(samples.argvs.length).toBeGreaterThan(3);
    for (const argv of samples.argvs) {
      for (const secret of forbidden) expect(argv.join(' ')).not.toContain(secret);
    }
    for (const report of reports) {
      for (const secret of forbidden) expect(report.stderr).not.toContain(secret);
    }
  });
});
