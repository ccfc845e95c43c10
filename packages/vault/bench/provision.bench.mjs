// Vault benchmark: wall time and number of `bw` invocations to provision 1, 10 and 50 tenants with
// the real pinned bw against the Bitwarden-compatible test server, in ONE batch (one unlock, one
// sync) versus one provisionTenants call per tenant (each unlocks, syncs and locks). Invocations are
// counted by a CommandRunner wrapped around the default execa runner. BENCH_VAULT_SIZES=1,10
// overrides the sizes: one at a time for 50 tenants takes many minutes. Run after
// `pnpm --filter @colibri/vault build`. Results (Markdown) go to stdout, progress to stderr.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBwTestServer } from '../../../test-fixtures/bw-server/index.mjs';
import {
  createBitwardenSource,
  createExecaRunner,
  PINNED_BW_VERSION,
  provisionTenants,
} from '../dist/index.js';

const log = (line) => process.stderr.write(`${line}\n`);
const DEFAULT_SIZES = '1,10,50';

function parseSizes(text) {
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 500)) {
    log(
      `BENCH_VAULT_SIZES must be a comma-separated list of tenant counts from 1 to 500, e.g. 1,10,50 (got ${text})`,
    );
    process.exit(2);
  }
  return sizes;
}

/** The default runner, counting every bw process it starts. */
function countingRunner() {
  const real = createExecaRunner();
  const counter = {
    calls: 0,
    runner: {
      run(file, args, options) {
        counter.calls++;
        return real.run(file, args, options);
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
    credentials: {
      clientId: server.user.clientId,
      clientSecret: server.user.clientSecret,
      masterPassword: server.user.masterPassword,
    },
    extraEnv: { NODE_EXTRA_CA_CERTS: server.caCertPath },
    runner: counter.runner,
  });
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

async function measure(label, count, oneAtATime) {
  const { allowedRoot, list } = await targets(label, count);
  const counter = countingRunner();
  const source = newSource(counter);
  const started = performance.now();
  if (oneAtATime) {
    for (const target of list)
      check(await provisionTenants({ source, allowedRoot, tenants: [target] }), label);
  } else {
    check(await provisionTenants({ source, allowedRoot, tenants: list }), label);
  }
  const ms = performance.now() - started;
  log(`${label}: ${count} tenant(s) in ${(ms / 1000).toFixed(1)} s, ${counter.calls} bw calls`);
  return { ms, calls: counter.calls };
}

const rows = [];
try {
  // Not measured: configure the server and log in once, as a long-lived orchestrator host has.
  log('logging in (not measured)…');
  await measure('warm-up', 1, false);
  for (const size of sizes) {
    const batch = await measure(`batch-${size}`, size, false);
    const single = await measure(`single-${size}`, size, true);
    rows.push({ size, batch, single });
  }
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const lines = [
  '## Vault: provisioning tenants through the real `bw`',
  '',
  `Workload: the pinned bw ${PINNED_BW_VERSION} (one \`node bw.js\` process per call) against the Bitwarden-compatible ` +
    'HTTPS test server on loopback (`test-fixtures/bw-server`), through one appdata dir logged in beforehand (not ' +
    'measured); each tenant has its own collection holding one login item with two custom fields (3 variables), ' +
    'written to a fresh jail home. **Batch**: one `provisionTenants` call for all tenants (one status, unlock, sync, ' +
    'list collections and lock; one `list items` per tenant). **One at a time**: one `provisionTenants` call per ' +
    'tenant, each unlocking, syncing and locking. Each measurement uses a new source (one `bw --version`). bw ' +
    `invocations counted by a CommandRunner wrapped around \`createExecaRunner()\`; Node ${process.version}.`,
  '',
  '| tenants | batch: wall | batch: bw calls | one at a time: wall | one at a time: bw calls | batch speed-up | ms per bw call |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    ({ size, batch, single }) =>
      `| ${size} | ${seconds(batch.ms)} | ${batch.calls} | ${seconds(single.ms)} | ${single.calls} | ` +
      `${(single.ms / batch.ms).toFixed(1)}× | ${Math.round((batch.ms + single.ms) / (batch.calls + single.calls))} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
