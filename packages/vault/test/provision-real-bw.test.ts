// provisionTenants with the Bitwarden source, end to end: the REAL pinned bw CLI against the
// Bitwarden-compatible test server, real `.env` files in a jail tree written as root, a real
// /bin/sh reading them back as the jail user. The phases below share one server and one appdata
// dir and run in order. Every bw call costs 1.5-5 s, so the first batch holds every tenant case at
// once (one login, one unlock, one sync for all of them). A sampler walks /proc for the whole file:
// no secret may ever be on a child's argv.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColibriError } from '@colibri/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BW_CLI_PATH, bwTestEnv } from '../../../test-fixtures/bw-server/bw-env.mjs';
import {
  type BwTestItem,
  type BwTestServer,
  startBwTestServer,
} from '../../../test-fixtures/bw-server/index.mjs';
import {
  type BitwardenSourceOptions,
  createBitwardenSource,
  type FetchOutcome,
  type ProgressEvent,
  type ProvisionResult,
  type ProvisionTarget,
  provisionTenants,
  type SecretSource,
} from '../src/index.js';
import { listTree, sourceWithSh } from './support/files.js';
import { type ProcessSampler, startProcessSampler } from './support/process-sampler.js';
import { recordingLogger } from './support/recording-logger.js';
import { recordingRunner } from './support/recording-runner.js';

/** A failure guard for a hook running a whole batch (~17 bw calls of 1.5-5 s each on a loaded machine). */
const BATCH_TIMEOUT_MS = 300_000;
/** Jail users: tenant i's `.env` belongs to uid/gid FIRST_UID + i. */
const FIRST_UID = 23456;
const TENANTS = [
  'tenant-a',
  'tenant-ab',
  'dup',
  'empty',
  'recreated',
  'values',
  'quote',
  'evil-link',
  'evil-parent',
  'evil-outside',
  'late',
] as const;
type Tenant = (typeof TENANTS)[number];

/** Distinctive secret values: none may ever show up in argv, logs or errors. */
const SECRET = {
  dbPassword: 'S3cret-db-pass-a1',
  dbPasswordChanged: 'S3cret-db-pass-a2',
  dbHost: 'db-a.internal.example',
  apiToken: 'tok-a-7f3e9c0d',
  deployNotes: 'deploy notes for tenant-a\nsecond line: ssh-key-9f8e1b',
  shared: 'shared-token-9d2c41',
  abOnly: 'ab-only-secret-5e17',
  dup: 'dup-secret-61bd3a',
  recreated: 'recreated-secret-0a9f52',
  evil: 'evil-secret-44c2d8',
  quote: "it's-quote-secret-42",
  late: 'late-secret-77aa19',
} as const;

/** Values a shell, a dotenv parser or a JSON layer would mangle; each must come back exactly. */
const HOSTILE = {
  DOUBLE_QUOTES: 'say "hello" to "them"',
  DOLLAR: '$HOME $1 $$ $(id) costs $5',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is the point of this value
  BRACED: '${PATH} and ${X:-default}',
  BACKTICKS: '`id` and `uname -a`',
  BACKSLASH: 'C:\\temp\\new and a\\tb',
  NEWLINES: 'first\nsecond\n\nfourth\n',
  TABS: 'a\tb\t\tc',
  UNICODE: 'ü€😀 日本語 — ñ',
  HASH_EQUALS: 'a#b = c # not a comment',
  SPACES: '  padded  ',
  SEMICOLONS: 'x; rm -rf / && echo pwned | cat',
} as const;
/** tenant-a's login item carries these custom fields (text, hidden, boolean). */
const FIELDS_A = [
  { name: 'DATABASE_HOST', value: SECRET.dbHost, type: 0 },
  { name: 'API_TOKEN', value: SECRET.apiToken, type: 1 },
  { name: 'FEATURE_X', value: 'true', type: 2 },
] satisfies BwTestItem['fields'];
const HOSTILE_PASSWORD = 'pass with spaces & "double" quotes; $USER';
const HOSTILE_NOTE = 'line 1\n  indented "line" 2 with $VAR and `cmd`\nlast — ✓';

const EXPECTED_A = (dbPassword: string) =>
  [
    `API_TOKEN='${SECRET.apiToken}'`,
    `DATABASE_HOST='${SECRET.dbHost}'`,
    `DATABASE_PASSWORD='${dbPassword}'`,
    `DEPLOY_NOTES='${SECRET.deployNotes}'`,
    "FEATURE_X='true'",
    `SHARED_TOKEN='${SECRET.shared}'`,
    '',
  ].join('\n');
const EXPECTED_AB = [`AB_PASSWORD='${SECRET.abOnly}'`, `SHARED_TOKEN='${SECRET.shared}'`, ''].join('\n');
const EXPECTED_LATE = `LATE_TOKEN='${SECRET.late}'\n`;

/** pids of the bw processes this file ran itself (with the fixture's environment), not the library. */
const ownBwPids = new Set<number>();

/** `bw status` run directly, as an operator would. */
function bwStatus(server: BwTestServer, appDataDir: string): Promise<{ status: string; serverUrl: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BW_CLI_PATH, 'status'],
      { env: bwTestEnv({ server, appDataDir }), timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout))),
    );
    if (child.pid !== undefined) ownBwPids.add(child.pid);
  });
}

describe('provisionTenants with the real bw CLI against the test server', () => {
  let server: BwTestServer;
  let stateDir: string;
  let appDataDir: string;
  let treeDir: string;
  let root: string;
  let outside: string;
  let sampler: ProcessSampler;
  const recording = recordingRunner();
  const log = recordingLogger();
  /** Every error text the library produced in this file (messages, reasons, details). */
  const errorTexts: string[] = [];
  const ids: Record<string, string> = {};
  let source: SecretSource;

  const home = (tenant: Tenant) => join(root, tenant, 'home');
  const envPath = (tenant: Tenant) => join(home(tenant), '.env');
  const owner = (tenant: Tenant) => ({
    uid: FIRST_UID + TENANTS.indexOf(tenant),
    gid: FIRST_UID + TENANTS.indexOf(tenant),
  });
  const ownerText = (tenant: Tenant) => `${owner(tenant).uid}:${owner(tenant).gid}`;
  const target = (tenant: Tenant, more: Partial<ProvisionTarget> = {}): ProvisionTarget => ({
    tenantId: tenant,
    collectionName: tenant,
    cachedCollectionId: null,
    jailHome: home(tenant),
    owner: owner(tenant),
    ...more,
  });
  const sourceOptions = (more: Partial<BitwardenSourceOptions> = {}): BitwardenSourceOptions => ({
    serverUrl: server.url,
    appDataDir,
    credentials: {
      clientId: server.user.clientId,
      clientSecret: server.user.clientSecret,
      masterPassword: server.user.masterPassword,
    },
    extraEnv: { NODE_EXTRA_CA_CERTS: server.caCertPath },
    runner: recording.runner,
    logger: log.logger,
    ...more,
  });
  const remember = (results: ProvisionResult[]) => {
    for (const result of results) if (result.reason !== undefined) errorTexts.push(result.reason);
    return results;
  };
  const rememberOutcome = (outcome: FetchOutcome | undefined): ColibriError => {
    expect(outcome?.kind).toBe('failed');
    const error = (outcome as { error: ColibriError }).error;
    errorTexts.push(error.message, JSON.stringify(error.details), JSON.stringify(error));
    return error;
  };
  const summary = (results: readonly ProvisionResult[]) =>
    results.map((r) => [r.tenantId, r.outcome, r.code ?? null] as const);
  const callsSince = (mark: number) => recording.calls.slice(mark);

  beforeAll(async () => {
    server = await startBwTestServer();
    stateDir = await mkdtemp(join(tmpdir(), 'colibri-vault-state-'));
    appDataDir = join(stateDir, 'bw');
    treeDir = await mkdtemp(join(tmpdir(), 'colibri-vault-tree-'));
    await chmod(treeDir, 0o755); // the jail users must reach their homes to read their .env
    root = join(treeDir, 'jails');
    outside = join(treeDir, 'outside');

    for (const tenant of TENANTS) {
      if (tenant === 'evil-parent' || tenant === 'evil-outside') continue;
      await mkdir(home(tenant), { recursive: true });
      await chown(home(tenant), owner(tenant).uid, owner(tenant).gid);
    }
    // Attacks a jail user (or a confused operator) could set up.
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'target.txt'), 'original target content\n', { mode: 0o644 });
    await symlink(join(outside, 'target.txt'), envPath('evil-link'));
    await mkdir(join(outside, 'parent-target', 'home'), { recursive: true });
    await symlink(join(outside, 'parent-target'), join(root, 'evil-parent'));
    await mkdir(join(outside, 'elsewhere', 'home'), { recursive: true });

    // The vault.
    for (const tenant of TENANTS) {
      if (tenant !== 'dup' && tenant !== 'empty') ids[tenant] = server.addCollection(tenant);
    }
    ids.dup1 = server.addCollection('dup');
    ids.dup2 = server.addCollection('dup');
    // `recreated`: the collection provisioned earlier (its id is cached) was deleted and re-created.
    ids.recreatedOld = ids.recreated as string;
    server.removeCollection(ids.recreatedOld);
    ids.recreated = server.addCollection('recreated');

    ids.dbItem = server.addItem({
      name: 'DATABASE_PASSWORD',
      type: 'login',
      collectionIds: [ids['tenant-a'] as string],
      username: 'app_user',
      password: SECRET.dbPassword,
      notes: 'login notes are not exported',
      fields: FIELDS_A,
    });
    server.addItem({
      name: 'DEPLOY_NOTES',
      type: 'note',
      collectionIds: [ids['tenant-a'] as string],
      notes: SECRET.deployNotes,
    });
    server.addItem({
      name: 'SHARED_TOKEN',
      type: 'login',
      collectionIds: [ids['tenant-a'] as string, ids['tenant-ab'] as string],
      password: SECRET.shared,
    });
    server.addItem({
      name: 'AB_PASSWORD',
      type: 'login',
      collectionIds: [ids['tenant-ab'] as string],
      password: SECRET.abOnly,
    });
    for (const id of [ids.dup1, ids.dup2] as string[]) {
      server.addItem({ name: 'DUP_TOKEN', type: 'login', collectionIds: [id], password: SECRET.dup });
    }
    server.addItem({
      name: 'RECREATED_TOKEN',
      type: 'login',
      collectionIds: [ids.recreated as string],
      password: SECRET.recreated,
    });
    server.addItem({
      name: 'VALUES_PASSWORD',
      type: 'login',
      collectionIds: [ids.values as string],
      password: HOSTILE_PASSWORD,
      fields: [
        ...Object.entries(HOSTILE).map(([name, value]) => ({ name, value })),
        { name: 'BOOLEAN_FALSE', value: 'false', type: 2 as const },
      ],
    });
    server.addItem({
      name: 'VALUES_NOTE',
      type: 'note',
      collectionIds: [ids.values as string],
      notes: HOSTILE_NOTE,
    });
    server.addItem({
      name: 'QUOTE_ITEM',
      type: 'login',
      collectionIds: [ids.quote as string],
      password: 'fine-quote-password',
      fields: [{ name: 'BAD_QUOTE', value: SECRET.quote, type: 1 }],
    });
    for (const tenant of ['evil-link', 'evil-parent', 'evil-outside'] as const) {
      server.addItem({
        name: 'EVIL_TOKEN',
        type: 'login',
        collectionIds: [ids[tenant] as string],
        password: SECRET.evil,
      });
    }
    server.addItem({
      name: 'LATE_TOKEN',
      type: 'login',
      collectionIds: [ids.late as string],
      password: SECRET.late,
    });

    source = createBitwardenSource(sourceOptions());
    sampler = startProcessSampler();
  });

  afterAll(async () => {
    sampler?.stop();
    await server?.close();
    for (const dir of [stateDir, treeDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('a tenant name with .. or /', () => {
    it('is refused by name validation before any bw call, and nothing is written', async () => {
      const before = await listTree(treeDir);
      const mark = recording.calls.length;
      const results = remember(
        await provisionTenants({
          source,
          allowedRoot: root,
          tenants: [
            { ...target('tenant-a'), tenantId: '../x', jailHome: `${root}/../x` },
            { ...target('tenant-a'), tenantId: 'a/..', jailHome: `${root}/a/..` },
          ],
        }),
      );
      expect(summary(results)).toEqual([
        ['../x', 'failed', 'COLIBRI_INVALID_NAME'],
        ['a/..', 'failed', 'COLIBRI_INVALID_NAME'],
      ]);
      expect(results[0]?.reason).toMatch(/tenant name "\.\.\/x" is not valid/);
      // The source guards itself too, for callers that skip provisionTenants.
      const direct = await source.fetchMany([
        { tenantId: '../x', collectionName: 'tenant-a', cachedCollectionId: null },
      ]);
      expect(rememberOutcome(direct.get('../x')).code).toBe('COLIBRI_INVALID_NAME');
      expect(callsSince(mark)).toEqual([]);
      expect(await listTree(treeDir)).toEqual(before);
    });
  });

  describe('first batch on a fresh appdata dir: every tenant case at once', () => {
    let results: ProvisionResult[];
    let treeBefore: string[];
    let mark: number;
    const resolved: Array<[string, string]> = [];
    const events: ProgressEvent[] = [];

    beforeAll(async () => {
      treeBefore = await listTree(treeDir);
      mark = recording.calls.length;
      results = remember(
        await provisionTenants({
          source,
          allowedRoot: root,
          tenants: [
            target('tenant-a'),
            target('tenant-ab'),
            target('dup'),
            target('empty'),
            target('recreated', { cachedCollectionId: ids.recreatedOld as string }),
            target('values'),
            target('quote'),
            target('evil-link'),
            target('evil-parent'),
            target('evil-outside', { jailHome: `${root}/../outside/elsewhere/home` }),
          ],
          onCollectionResolved: async (tenantId, collectionId) => {
            resolved.push([tenantId, collectionId]);
          },
          onProgress: (event) => {
            if (event.kind !== 'tenant-provisioned') events.push(event);
          },
        }),
      );
    }, BATCH_TIMEOUT_MS);

    it('gives every tenant its own outcome', () => {
      expect(summary(results)).toEqual([
        ['tenant-a', 'written', null],
        ['tenant-ab', 'written', null],
        ['dup', 'failed', 'COLIBRI_VAULT_COLLECTION_AMBIGUOUS'],
        ['empty', 'no-bucket', null],
        ['recreated', 'failed', 'COLIBRI_VAULT_COLLECTION_CHANGED'],
        ['values', 'written', null],
        ['quote', 'failed', 'COLIBRI_VAULT_SECRET_INVALID'],
        ['evil-link', 'failed', 'COLIBRI_UNSAFE_PATH'],
        ['evil-parent', 'failed', 'COLIBRI_UNSAFE_PATH'],
        ['evil-outside', 'failed', 'COLIBRI_UNSAFE_PATH'],
      ]);
    });

    it('logs in, unlocks and syncs once for the whole batch, lists items once per resolved collection, locks', () => {
      const calls = callsSince(mark);
      // bw serve refuses a logged-out dir (it ends at once): the per-command path configures and
      // logs in, then one serve process does everything else over its socket pair.
      expect(calls.slice(0, 13)).toEqual([
        ['serve'],
        ['GET', '/status'],
        ['--version'],
        ['status'],
        ['config', 'server', server.url],
        ['status'],
        ['login', '--apikey'],
        ['status'],
        ['serve'],
        ['GET', '/status'],
        ['POST', '/unlock'],
        ['POST', '/sync'],
        ['GET', '/list/object/collections'],
      ]);
      expect(calls.at(-1)).toEqual(['POST', '/lock']);
      const listed = calls.slice(13, -1);
      const itemsPath = '/list/object/items?collectionid=';
      expect(listed.map((call) => [call[0], call[1]?.slice(0, itemsPath.length)])).toEqual(
        Array.from({ length: 7 }, () => ['GET', itemsPath]),
      );
      expect(listed.map((call) => call[1]?.slice(itemsPath.length)).sort()).toEqual(
        (['tenant-a', 'tenant-ab', 'values', 'quote', 'evil-link', 'evil-parent', 'evil-outside'] as const)
          .map((tenant) => ids[tenant])
          .sort(),
      );
      const steps = events.flatMap((e) => (e.kind === 'vault-step' ? [`${e.step}:${e.ok}`] : []));
      expect(steps).toEqual([
        'version:true',
        'status:true',
        'configure:true',
        'status:true',
        'login:true',
        'status:true',
        'serve:true',
        'unlock:true',
        'sync:true',
        'collections:true',
        'lock:true',
      ]);
    });

    it('happy path: .env at 0600, owned by the jail user, exactly the documented KEY=value lines', async () => {
      expect(results[0]).toEqual({
        tenantId: 'tenant-a',
        outcome: 'written',
        collectionId: ids['tenant-a'],
        path: envPath('tenant-a'),
        variables: 6,
      });
      expect(await readFile(envPath('tenant-a'), 'utf8')).toBe(EXPECTED_A(SECRET.dbPassword));
      const stats = await stat(envPath('tenant-a'));
      expect(stats.mode & 0o7777).toBe(0o600);
      expect({ uid: stats.uid, gid: stats.gid }).toEqual(owner('tenant-a'));
      expect(resolved).toContainEqual(['tenant-a', ids['tenant-a']]);
    });

    it('tenant-a and tenant-ab (a prefix of each other) each get only their own items; a shared item lands in both', async () => {
      expect(await readFile(envPath('tenant-ab'), 'utf8')).toBe(EXPECTED_AB);
      expect(results[1]?.collectionId).toBe(ids['tenant-ab']);
      // Sharing an item into two collections is how an operator gives it to two tenants.
      expect(await readFile(envPath('tenant-a'), 'utf8')).toContain(`SHARED_TOKEN='${SECRET.shared}'`);
      expect(await readFile(envPath('tenant-a'), 'utf8')).not.toContain('AB_PASSWORD');
    });

    it('two collections with the same name: that tenant fails naming both ids, the others are still written', () => {
      const dup = results[2];
      expect(dup?.reason).toContain('2 collections are named "dup"');
      expect(dup?.reason).toContain(ids.dup1);
      expect(dup?.reason).toContain(ids.dup2);
      expect(results.filter((r) => r.outcome === 'written').map((r) => r.tenantId)).toEqual([
        'tenant-a',
        'tenant-ab',
        'values',
      ]);
    });

    it('no collection: no-bucket, nothing written; a re-created collection: COLLECTION_CHANGED, nothing written', () => {
      expect(results[3]).toEqual({ tenantId: 'empty', outcome: 'no-bucket' });
      expect(results[4]?.reason).toContain(`now has id ${ids.recreated}`);
      expect(results[4]?.reason).toContain('colibri reset-tenant-collection recreated');
      expect(resolved.map(([tenant]) => tenant)).not.toContain('recreated');
    });

    it('hostile values: a real /bin/sh, as the jail user, reads back exactly what the vault holds', () => {
      const env = sourceWithSh(envPath('values'), owner('values'));
      expect(Object.fromEntries(Object.keys(HOSTILE).map((key) => [key, env.get(key)]))).toEqual(HOSTILE);
      expect(env.get('VALUES_PASSWORD')).toBe(HOSTILE_PASSWORD);
      expect(env.get('VALUES_NOTE')).toBe(HOSTILE_NOTE);
      expect(env.get('BOOLEAN_FALSE')).toBe('false');
    });

    it('a value with a single quote: the tenant fails naming the key and the item, never the value', () => {
      const reason = results[6]?.reason ?? '';
      expect(reason).toContain('BAD_QUOTE');
      expect(reason).toContain('QUOTE_ITEM');
      expect(reason).toContain('single quote');
      expect(reason).not.toContain('quote-secret');
    });

    it('a .env symlink, a symlinked parent, a jail home outside the root: refused, the link target untouched', async () => {
      expect(results[7]?.reason).toMatch(
        /refusing to replace .*evil-link\/home\/\.env: it is a symbolic link/,
      );
      expect(results[8]?.reason).toMatch(/evil-parent is a symbolic link/);
      expect(results[9]?.reason).toContain('is not inside the allowed jail root');
      expect(await readFile(join(outside, 'target.txt'), 'utf8')).toBe('original target content\n');
      for (const result of results.slice(7)) expect(result.reason).not.toContain(SECRET.evil);
    });

    it('wrote nothing anywhere but the three .env files (no temp file, nothing through a link)', async () => {
      const written = (['tenant-a', 'tenant-ab', 'values'] as const).map(
        (tenant) => `jails/${tenant}/home/.env f 600 ${ownerText(tenant)}`,
      );
      expect(await listTree(treeDir)).toEqual([...treeBefore, ...written].sort());
    });
  });

  describe('second batch, nothing changed on the server', () => {
    it(
      'reports unchanged and leaves the file alone (same inode, mtime and ctime)',
      async () => {
        const before = await stat(envPath('tenant-a'));
        const mark = recording.calls.length;
        const results = remember(
          await provisionTenants({
            source,
            allowedRoot: root,
            tenants: [target('tenant-a', { cachedCollectionId: ids['tenant-a'] as string })],
          }),
        );
        expect(summary(results)).toEqual([['tenant-a', 'unchanged', null]]);
        const after = await stat(envPath('tenant-a'));
        expect([after.ino, after.mtimeMs, after.ctimeMs]).toEqual([
          before.ino,
          before.mtimeMs,
          before.ctimeMs,
        ]);
        // Logged in already, version checked once per source: one serve process, nothing else.
        expect(callsSince(mark)).toEqual([
          ['serve'],
          ['GET', '/status'],
          ['POST', '/unlock'],
          ['POST', '/sync'],
          ['GET', '/list/object/collections'],
          ['GET', `/list/object/items?collectionid=${ids['tenant-a']}`],
          ['POST', '/lock'],
        ]);
      },
      BATCH_TIMEOUT_MS,
    );
  });

  describe('server down during sync', () => {
    it(
      'fails every tenant with COLIBRI_VAULT_SYNC_FAILED, writes nothing, leaves the vault locked',
      async () => {
        await server.stop();
        // Changed while down: a stale cache must not be served, and the change must arrive later.
        server.removeItem(ids.dbItem as string);
        ids.dbItem = server.addItem({
          name: 'DATABASE_PASSWORD',
          type: 'login',
          collectionIds: [ids['tenant-a'] as string],
          password: SECRET.dbPasswordChanged,
          fields: FIELDS_A,
        });
        const before = await stat(envPath('tenant-a'));
        const treeBefore = await listTree(treeDir);
        const mark = recording.calls.length;
        const results = remember(
          await provisionTenants({
            source,
            allowedRoot: root,
            tenants: [target('tenant-a', { cachedCollectionId: ids['tenant-a'] as string }), target('late')],
          }),
        );
        expect(summary(results)).toEqual([
          ['tenant-a', 'failed', 'COLIBRI_VAULT_SYNC_FAILED'],
          ['late', 'failed', 'COLIBRI_VAULT_SYNC_FAILED'],
        ]);
        expect(results[0]?.reason).toMatch(
          /^bw sync failed: Syncing failed: .*ECONNREFUSED.*; is the vault server reachable\?$/,
        );
        expect(callsSince(mark).map((call) => call.join(' '))).toEqual([
          'serve',
          'GET /status',
          'POST /unlock',
          'POST /sync',
          'POST /lock',
        ]);
        expect(await listTree(treeDir)).toEqual(treeBefore);
        expect(await readFile(envPath('tenant-a'), 'utf8')).toBe(EXPECTED_A(SECRET.dbPassword));
        expect((await stat(envPath('tenant-a'))).ino).toBe(before.ino);
        expect(await bwStatus(server, appDataDir)).toMatchObject({ status: 'locked', serverUrl: server.url });
      },
      BATCH_TIMEOUT_MS,
    );

    it(
      'after a restart the next batch picks up the change and the new tenant',
      async () => {
        await server.restart();
        const results = remember(
          await provisionTenants({
            source,
            allowedRoot: root,
            tenants: [target('tenant-a', { cachedCollectionId: ids['tenant-a'] as string }), target('late')],
          }),
        );
        expect(summary(results)).toEqual([
          ['tenant-a', 'written', null],
          ['late', 'written', null],
        ]);
        expect(await readFile(envPath('tenant-a'), 'utf8')).toBe(EXPECTED_A(SECRET.dbPasswordChanged));
        expect(await readFile(envPath('late'), 'utf8')).toBe(EXPECTED_LATE);
        const stats = await stat(envPath('late'));
        expect([stats.mode & 0o7777, stats.uid, stats.gid]).toEqual([
          0o600,
          owner('late').uid,
          owner('late').gid,
        ]);
      },
      BATCH_TIMEOUT_MS,
    );
  });

  describe('wrong credentials', () => {
    const request = { tenantId: 'tenant-a', collectionName: 'tenant-a', cachedCollectionId: null };

    it(
      'a wrong master password: COLIBRI_VAULT_UNLOCK_FAILED, the vault locked again, no secret quoted',
      async () => {
        const wrongPassword = 'Wrong-Master-Password-7c1e$"\'';
        const events: ProgressEvent[] = [];
        const base = sourceOptions();
        const wrong = createBitwardenSource({
          ...base,
          credentials: { ...base.credentials, masterPassword: wrongPassword },
        });
        const error = rememberOutcome(
          (await wrong.fetchMany([request], (e) => events.push(e))).get('tenant-a'),
        );
        expect(error.code).toBe('COLIBRI_VAULT_UNLOCK_FAILED');
        // Only bw's own sentence and the hint: none of its SDK's `ERROR bitwarden_crypto::…` log lines.
        expect(error.message).toBe(
          'bw unlock failed: Cryptography error, The decryption operation failed; ' +
            "check BW_PASSWORD (the service-account user's master password)",
        );
        expect(`${error.message} ${JSON.stringify(error.details)}`).not.toMatch(/ERROR|bitwarden_|::/);
        const text = `${error.message} ${JSON.stringify(error.details)} ${JSON.stringify(error)}`;
        for (const secret of [wrongPassword, server.user.masterPassword, server.user.clientSecret]) {
          expect(text).not.toContain(secret);
        }
        const steps = events.flatMap((e) => (e.kind === 'vault-step' ? [`${e.step}:${e.ok}`] : []));
        expect(steps).toEqual(['version:true', 'serve:true', 'unlock:false', 'lock:true']);
      },
      BATCH_TIMEOUT_MS,
    );

    it(
      'a wrong client secret on a fresh appdata dir: COLIBRI_VAULT_LOGIN_FAILED, no secret quoted',
      async () => {
        const wrongSecret = `${server.user.clientSecret.slice(0, 8)}-wrong-client-secret`;
        const base = sourceOptions();
        const wrong = createBitwardenSource({
          ...base,
          appDataDir: join(stateDir, 'bw-wrong-key'),
          credentials: { ...base.credentials, clientSecret: wrongSecret },
        });
        const error = rememberOutcome((await wrong.fetchMany([request])).get('tenant-a'));
        expect(error.code).toBe('COLIBRI_VAULT_LOGIN_FAILED');
        expect(error.message).toContain('client_id or client_secret is incorrect');
        expect(error.message).toContain('check BW_CLIENTID and BW_CLIENTSECRET');
        const text = `${error.message} ${JSON.stringify(error.details)} ${JSON.stringify(error)}`;
        for (const secret of [wrongSecret, server.user.clientSecret, server.user.masterPassword]) {
          expect(text).not.toContain(secret);
        }
      },
      BATCH_TIMEOUT_MS,
    );
  });

  describe('leaks, over every bw child this file started', () => {
    it('no secret on any argv; each secret only in the environment of the one command that needs it', () => {
      const samples = sampler.stop();
      const commands = new Set(samples.bw.map((child) => child.args[0]));
      expect([...commands].sort()).toEqual(['--version', 'config', 'login', 'serve', 'status']);
      // The serve processes: fd 3 is a socket (the pair's other end is ours), and none of them ever
      // held a listening socket, TCP or Unix: nothing else on the host could talk to them.
      const serves = samples.bw.filter((child) => child.args[0] === 'serve');
      expect(serves.length).toBeGreaterThanOrEqual(5);
      for (const child of serves) {
        expect(child.args).toEqual(['serve', '--hostname', 'fd+connected://3', '--nointeraction']);
        expect(child.fd3).toMatch(/^socket:\[\d+\]$/);
        expect(child.listened).toBe(false);
      }
      // The master password travelled only in unlock request bodies over the socket pair.
      expect(recording.unlockBodies.length).toBe(5);
      const passwordBody = JSON.stringify({ password: server.user.masterPassword });
      expect(recording.unlockBodies.filter((body) => body === passwordBody)).toHaveLength(4);
      // Every session key the serve processes made; no child ever held one in its environment.
      const sessionKeys = new Set(recording.sessionKeys);
      expect(recording.sessionKeys.length).toBe(4);
      expect(sessionKeys.size).toBe(4);
      for (const child of samples.bw) expect(child.secretEnv).not.toHaveProperty('BW_SESSION');
      for (const child of samples.bw) expect(child.secretEnv).not.toHaveProperty('BW_PASSWORD');
      const forbidden = [
        server.user.clientSecret,
        server.user.masterPassword,
        ...sessionKeys,
        ...Object.values(SECRET),
        HOSTILE_PASSWORD,
      ];
      for (const argv of samples.argvs) {
        for (const secret of forbidden) expect(argv.join(' ')).not.toContain(secret);
      }
      const base = ['BITWARDENCLI_APPDATA_DIR', 'BW_NOINTERACTION', 'NODE_EXTRA_CA_CERTS'];
      const needs: Record<string, string[]> = { login: ['BW_CLIENTID', 'BW_CLIENTSECRET'] };
      for (const child of samples.bw.filter(({ pid }) => !ownBwPids.has(pid))) {
        const command = child.args[0] ?? '';
        expect(child.envNames, `bw ${command}`).toEqual([...base, ...(needs[command] ?? [])].sort());
      }
    });

    it('no secret in the logger output or in any error the library returned', () => {
      expect(log.lines.length).toBeGreaterThan(20);
      expect(errorTexts.length).toBeGreaterThan(10);
      const forbidden = [
        server.user.clientSecret,
        server.user.masterPassword,
        ...recording.sessionKeys,
        ...Object.values(SECRET),
        HOSTILE_PASSWORD,
      ];
      for (const text of [...log.lines, ...errorTexts]) {
        for (const secret of forbidden) expect(text).not.toContain(secret);
      }
    });
  });
});
