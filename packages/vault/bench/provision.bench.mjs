// Vault benchmark: wall time and bw processes to provision 1 tenant and a batch of 50 with the real
// pinned bw against the Bitwarden-compatible test server, side by side in one run:
//   - new: createBitwardenSource, one `bw serve --hostname fd+connected://3` process per batch
//     (status, unlock, sync, list collections, list items per tenant and lock are HTTP requests
//     over a socket pair), `bw --version` beside its boot;
//   - old: the per-command flow of the previous release (one `node bw.js` process per call:
//     --version, status, unlock, sync, list collections, list items per tenant, lock), reproduced
//     below as a SecretSource with exactly those calls, written by the same provisionTenants.
// Both go through one appdata dir logged in beforehand (not measured), a new source per
// measurement (one version check each). BENCH_VAULT_SIZES=1,10 overrides the sizes. Run after
// `pnpm --filter @colibri/vault build`. Results (Markdown) go to stdout, progress to stderr.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBwTestServer } from '../../../test-fixtures/bw-server/index.mjs';
import {
  createBitwardenSource,
  createExecaRunner,
  PINNED_BW_VERSION,
  provisionTenants,
} from '../dist/index.js';

const log = (line) => process.stderr.write(`${line}\n`);
const DEFAULT_SIZES = '1,50';
const BW_ENTRY = createRequire(import.meta.url).resolve('@bitwarden/cli/build/bw.js');

function parseSizes(text) {
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 500)) {
    log(
      `BENCH_VAULT_SIZES must be a comma-separated list of tenant counts from 1 to 500, e.g. 1,50 (got ${text})`,
    );
    process.exit(2);
  }
  return sizes;
}

/** The default runner, counting every bw process it starts (commands and serve processes). */
function countingRunner() {
  const real = createExecaRunner();
  const counter = {
    processes: 0,
    requests: 0,
    runner: {
      run(file, args, options) {
        counter.processes++;
        return real.run(file, args, options);
      },
      start(file, args, options) {
        counter.processes++;
        const child = real.start(file, args, options);
        return {
          exited: child.exited,
          stop: () => child.stop(),
          request(request) {
            counter.requests++;
            return child.request(request);
          },
        };
      },
    },
  };
  return counter;
}

const sizes = parseSizes(process.env.BENCH_VAULT_SIZES ?? DEFAULT_SIZES);
const largest = Math.max(...sizes);
const server = await startBwTestServer();
const work = await mkdtemp(join(tmpdir(), 'colibri-vault-bench-'));
// The .env files go to this very user: no root needed, and chown still runs as in production.
const owner = { uid: process.getuid(), gid: process.getgid() };
const appDataDir = join(work, 'bw');
const credentials = {
  clientId: server.user.clientId,
  clientSecret: server.user.clientSecret,
  masterPassword: server.user.masterPassword,
};
const extraEnv = { NODE_EXTRA_CA_CERTS: server.caCertPath };

const tenantIds = Array.from({ length: largest }, (_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
for (const tenantId of tenantIds) {
  const collection = server.addCollection(tenantId);
  server.addItem({
    name: 'DATABASE_PASSWORD',
    type: 'login',
    collectionIds: [collection],
    password: `bench-password-${tenantId}`,
    fields: [
      { name: 'DATABASE_HOST', value: `db-${tenantId}.internal` },
      { name: 'API_TOKEN', value: `token-${tenantId}`, type: 1 },
    ],
  });
}

function newSource(counter) {
  return createBitwardenSource({
    serverUrl: server.url,
    appDataDir,
    credentials,
    extraEnv,
    runner: counter.runner,
  });
}

/**
 * The previous release's per-command flow (one bw process per call), for comparison only: the
 * same calls in the same order, the same exact-name resolution and collection-id re-check.
 */
function perCommandSource(counter) {
  const base = { ...extraEnv, BITWARDENCLI_APPDATA_DIR: appDataDir, BW_NOINTERACTION: 'true' };
  const bw = async (args, env = {}) => {
    const result = await counter.runner.run(process.execPath, [BW_ENTRY, ...args, '--nointeraction'], {
      env: { ...base, ...env },
      timeoutMs: 120_000,
    });
    if (result.exitCode !== 0 || result.stdout.trim() === '')
      throw new Error(`bw ${args[0]} failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  let versionChecked = false;
  return {
    kind: 'bitwarden',
    async fetchMany(requests) {
      if (!versionChecked) {
        if ((await bw(['--version'])) !== PINNED_BW_VERSION) throw new Error('wrong bw version');
        versionChecked = true;
      }
      const status = JSON.parse(await bw(['status']));
      if (status.serverUrl !== server.url || status.status === 'unauthenticated')
        throw new Error('not logged in');
      const session = await bw(['unlock', '--passwordenv', 'BW_PASSWORD', '--raw'], {
        BW_PASSWORD: credentials.masterPassword,
      });
      const outcomes = new Map();
      try {
        await bw(['sync'], { BW_SESSION: session });
        const collections = JSON.parse(await bw(['list', 'collections'], { BW_SESSION: session }));
        for (const request of requests) {
          const found = collections.filter((c) => c.name === request.collectionName);
          if (found.length !== 1)
            throw new Error(`collection ${request.collectionName}: ${found.length} found`);
          const id = found[0].id;
          const items = JSON.parse(
            await bw(['list', 'items', '--collectionid', id], { BW_SESSION: session }),
          );
          const variables = [];
          for (const item of items) {
            if (!item.collectionIds.includes(id)) throw new Error('item outside the collection');
            if (item.login?.password) variables.push([item.name, item.login.password]);
            for (const field of item.fields ?? []) variables.push([field.name, field.value ?? '']);
          }
          variables.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          outcomes.set(request.tenantId, { kind: 'secrets', collectionId: id, variables });
        }
      } finally {
        await bw(['lock']);
      }
      return outcomes;
    },
  };
}

async function targets(label, count) {
  const allowedRoot = join(work, label);
  const list = [];
  for (const tenantId of tenantIds.slice(0, count)) {
    const jailHome = join(allowedRoot, tenantId, 'home');
    await mkdir(jailHome, { recursive: true });
    list.push({ tenantId, collectionName: tenantId, cachedCollectionId: null, jailHome, owner });
  }
  return { allowedRoot, list };
}

function check(results, label) {
  const bad = results.filter((result) => result.outcome !== 'written');
  if (bad.length > 0) {
    log(
      `${label}: ${bad.length} tenant(s) not written, e.g. ${bad[0].tenantId}: ${bad[0].code} ${bad[0].reason}`,
    );
    process.exit(1);
  }
}

async function measure(label, count, makeSource) {
  const { allowedRoot, list } = await targets(label, count);
  const counter = countingRunner();
  const source = makeSource(counter);
  const started = performance.now();
  check(await provisionTenants({ source, allowedRoot, tenants: list }), label);
  const ms = performance.now() - started;
  log(
    `${label}: ${count} tenant(s) in ${(ms / 1000).toFixed(1)} s, ${counter.processes} bw processes, ${counter.requests} requests`,
  );
  return { ms, processes: counter.processes, requests: counter.requests };
}

const rows = [];
const startedAt = new Date().toISOString();
const loadAtStart = loadavg()[0];
try {
  // Not measured: configure the server and log in once, as a long-lived orchestrator host has.
  log('logging in (not measured)…');
  await measure('warm-up', 1, newSource);
  for (const size of sizes) {
    const serve = await measure(`serve-${size}`, size, newSource);
    const perCommand = await measure(`per-command-${size}`, size, perCommandSource);
    rows.push({ size, serve, perCommand });
  }
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const lines = [
  '## Vault: provisioning tenants through the real `bw`: one `bw serve` per batch vs one process per call',
  '',
  `Workload: the pinned bw ${PINNED_BW_VERSION} against the Bitwarden-compatible HTTPS test server on loopback ` +
    '(`test-fixtures/bw-server`), through one appdata dir logged in beforehand (not measured); each tenant has its ' +
    'own collection holding one login item with two custom fields (3 variables), written to a fresh jail home; one ' +
    '`provisionTenants` call per measurement, a new source each (one `bw --version`). **bw serve** (this release): ' +
    'one `bw serve --hostname fd+connected://3` process per batch, HTTP over a socket pair, `bw --version` running ' +
    'beside its boot. **Per command** (the previous release, reproduced in the bench with the same calls): `--version`, ' +
    '`status`, `unlock`, `sync`, `list collections`, `list items` per tenant, `lock`, one `node bw.js` each. bw ' +
    `processes counted by a CommandRunner wrapped around \`createExecaRunner()\`; Node ${process.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; ${startedAt.slice(0, 16)}Z, 1-minute load average ` +
    `${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (\`pnpm -s run bench\` in packages/vault). ` +
    'Issue 19 targets: one tenant ≤ 5 s, a batch of 50 ≤ 15 s (bw serve column). A batch costs two processes whatever ' +
    "its size and one request per tenant; the per-command column is the previous release's flow, where every call boots " +
    "Node and bw's 3.7 MB bundle.",
  '',
  '| tenants | bw serve: wall | bw serve: processes (requests) | per command: wall | per command: processes | speed-up |',
  '|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    ({ size, serve, perCommand }) =>
      `| ${size} | ${seconds(serve.ms)} | ${serve.processes} (${serve.requests}) | ${seconds(perCommand.ms)} | ` +
      `${perCommand.processes} | ${(perCommand.ms / serve.ms).toFixed(1)}× |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
