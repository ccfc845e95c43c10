import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError, type ErrorCode } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchOutcome, ProgressEvent, TenantSecretRequest } from '../secret-source.js';
import { acquireCrossProcessLock } from '../serialize/cross-process-lock.js';
import type { BitwardenSourceOptions } from './bitwarden-source-options.js';
import { createBitwardenSource } from './create-bitwarden-source.js';
import {
  createFakeBw,
  defaultVault,
  FAKE_BW_ENTRY,
  type FakeVault,
  item,
  ORG,
  type RecordedCall,
} from './fake-bw.test-helper.js';

const SERVER = 'https://vault.test:8443';
const A = { id: 'c0000000-0000-4000-8000-00000000000a', name: 'tenant-a', organizationId: ORG };
const AB = { id: 'c0000000-0000-4000-8000-0000000000ab', name: 'tenant-ab', organizationId: ORG };

let appDataDir: string;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'colibri-vault-bw-'));
  appDataDir = join(root, 'bw');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function setup(vault: FakeVault, overrides: Partial<BitwardenSourceOptions> = {}) {
  const fake = createFakeBw(vault);
  const source = createBitwardenSource({
    serverUrl: SERVER,
    appDataDir,
    credentials: {
      clientId: vault.clientId,
      clientSecret: vault.clientSecret,
      masterPassword: vault.masterPassword,
    },
    bwEntry: FAKE_BW_ENTRY,
    runner: fake.runner,
    ...overrides,
  });
  return { ...fake, source };
}

const request = (tenantId: string, cachedCollectionId: string | null = null): TenantSecretRequest => ({
  tenantId,
  collectionName: tenantId,
  cachedCollectionId,
});

function expectFailed(outcome: FetchOutcome | undefined, code: ErrorCode): ColibriError {
  expect(outcome?.kind).toBe('failed');
  const error = (outcome as { error: ColibriError }).error;
  expect(error).toBeInstanceOf(ColibriError);
  expect(error.code).toBe(code);
  return error;
}

/** The secrets the fake knows; the session keys it handed out are read back from unlock calls. */
function secretsOf(vault: FakeVault): string[] {
  return [vault.clientId, vault.clientSecret, vault.masterPassword];
}

/**
 * Every recorded call: no secret on argv; the API key only in the env of `login`; the master
 * password only in the body of `POST /unlock` (never in any environment); no session anywhere.
 */
function expectCredentialHygiene(calls: readonly RecordedCall[], vault: FakeVault): void {
  for (const call of calls) {
    for (const secret of secretsOf(vault)) expect(call.args.join('\u0000')).not.toContain(secret);
    expect(call.args).toContain('--nointeraction');
    const verb = call.command[0];
    const env = call.env;
    expect(env.BITWARDENCLI_APPDATA_DIR).toBe(appDataDir);
    if (verb === 'login') {
      expect(env.BW_CLIENTSECRET).toBe(vault.clientSecret);
    } else {
      expect(env).not.toHaveProperty('BW_CLIENTID');
      expect(env).not.toHaveProperty('BW_CLIENTSECRET');
    }
    expect(Object.values(env)).not.toContain(vault.masterPassword);
    expect(env).not.toHaveProperty('BW_PASSWORD');
    expect(env).not.toHaveProperty('BW_SESSION');
    if (call.body !== undefined && call.command[1] !== '/unlock') {
      expect(call.body).not.toContain(vault.masterPassword);
    }
    // Nothing inherited from the test process.
    expect(env).not.toHaveProperty('PATH');
    expect(env).not.toHaveProperty('HOME');
  }
}

/** The serve process's requests of a batch after its start, the status and the unlock. */
const SERVE = 'serve --hostname';
const UNLOCK = 'POST /unlock';

function expectNoSecretIn(error: ColibriError, secrets: readonly string[]): void {
  const text = `${error.message} ${JSON.stringify(error.details)}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('createBitwardenSource: server match and login', () => {
  it('configures a fresh appdata dir, logs in with the API key, unlocks, syncs, fetches and locks', async () => {
    const vault = defaultVault({
      collections: [A],
      items: [
        item({
          id: 'i1',
          name: 'DB_PASSWORD',
          type: 1,
          collectionIds: [A.id],
          login: { username: 'app', password: 'pw $HOME `x` "q"', uris: [] },
        }),
        item({
          id: 'i2',
          name: 'NOTE',
          collectionIds: [A.id],
          notes: 'line one\nline two',
          fields: [
            { name: 'API_TOKEN', value: 'tok', type: 1 },
            { name: 'DEBUG', value: 'false', type: 2 },
            { name: 'EMPTY', value: null, type: 0 },
          ],
        }),
      ],
    });
    const { source, commands, calls } = setup(vault);
    const events: ProgressEvent[] = [];
    const outcomes = await source.fetchMany([request('tenant-a')], (event) => events.push(event));
    expect(outcomes.get('tenant-a')).toEqual({
      kind: 'secrets',
      collectionId: A.id,
      variables: [
        ['API_TOKEN', 'tok'],
        ['DB_PASSWORD', 'pw $HOME `x` "q"'],
        ['DEBUG', 'false'],
        ['EMPTY', ''],
        ['NOTE', 'line one\nline two'],
      ],
    });
    // bw serve refuses a logged-out dir: the per-command path logs in, then a new serve process.
    expect(commands()).toEqual([
      SERVE,
      'GET /status',
      '--version',
      'status',
      `config server`,
      'status',
      'login --apikey',
      'status',
      SERVE,
      'GET /status',
      UNLOCK,
      'POST /sync',
      'GET /list/object/collections',
      'GET /list/object/items',
      'POST /lock',
    ]);
    expect(calls.find((call) => call.command[0] === 'config')?.command).toEqual(['config', 'server', SERVER]);
    expect(calls.find((call) => call.command[0] === 'serve')?.command).toEqual([
      'serve',
      '--hostname',
      'fd+connected://3',
    ]);
    expect(calls.find((call) => call.command[1] === '/list/object/items')?.command).toEqual([
      'GET',
      '/list/object/items',
      `collectionid=${A.id}`,
    ]);
    expect(calls.find((call) => call.command[1] === '/unlock')?.body).toBe(
      JSON.stringify({ password: vault.masterPassword }),
    );
    expect(calls.every((call) => call.file === process.execPath)).toBe(true);
    expect(vault.status).toBe('locked');
    expect(vault.serving).toBe(false);
    expectCredentialHygiene(calls, vault);
    expect(events.filter((e) => e.kind === 'vault-step').map((e) => (e as { step: string }).step)).toContain(
      'sync',
    );
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'tenant-fetched', tenantId: 'tenant-a', outcome: 'secrets' }),
    );
  });

  it('creates the appdata dir with mode 0700', async () => {
    const { source } = setup(defaultVault({ collections: [A] }));
    await source.fetchMany([request('tenant-a')]);
    expect((await stat(appDataDir)).mode & 0o777).toBe(0o700);
  });

  it('refuses an appdata dir that group or others can reach, before running bw', async () => {
    const { source, calls } = setup(defaultVault());
    await source.fetchMany([]);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(appDataDir, { mode: 0o700 });
    await chmod(appDataDir, 0o755);
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_UNSAFE_PATH',
    );
    expect(error.message).toContain('chmod 700');
    expect(calls).toHaveLength(0);
  });

  it('fails closed on a different configured server and never reconfigures or logs in', async () => {
    const vault = defaultVault({ serverUrl: 'https://other.example', status: 'locked' });
    const { source, commands } = setup(vault);
    const outcomes = await source.fetchMany([request('tenant-a'), request('tenant-ab')]);
    const error = expectFailed(outcomes.get('tenant-a'), 'COLIBRI_VAULT_SERVER_MISMATCH');
    expect(error.message).toContain('https://other.example');
    expect(error.message).toContain(SERVER);
    expectFailed(outcomes.get('tenant-ab'), 'COLIBRI_VAULT_SERVER_MISMATCH');
    expect(commands()).toEqual([SERVE, 'GET /status', '--version']);
    expect(vault.serving).toBe(false);
    expect(vault.serverUrl).toBe('https://other.example');
  });

  it('fails closed when logged in to the default cloud (serverUrl null but not logged out)', async () => {
    const { source, commands } = setup(defaultVault({ serverUrl: null, status: 'locked' }));
    expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_SERVER_MISMATCH',
    );
    expect(commands()).toEqual([SERVE, 'GET /status', '--version']);
  });

  it('accepts the configured server with a trailing slash or a different case in the host', async () => {
    const vault = defaultVault({ serverUrl: 'https://VAULT.test:8443', status: 'locked', collections: [A] });
    const { source } = setup(vault, { serverUrl: 'https://vault.test:8443/' });
    expect((await source.fetchMany([request('tenant-a')])).get('tenant-a')?.kind).toBe('secrets');
  });

  it('fails closed when logged out and the API key is refused, and keeps the secret out of the error', async () => {
    const vault = defaultVault({ serverUrl: SERVER });
    const fake = createFakeBw(vault);
    const source = createBitwardenSource({
      serverUrl: SERVER,
      appDataDir,
      credentials: {
        clientId: vault.clientId,
        clientSecret: 'wrong-secret-Q9',
        masterPassword: vault.masterPassword,
      },
      bwEntry: FAKE_BW_ENTRY,
      runner: fake.runner,
    });
    vault.stderrEcho = ' (sent client_secret=wrong-secret-Q9)';
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_LOGIN_FAILED',
    );
    expect(error.message).toContain('client_id or client_secret is incorrect');
    expect(error.message).toContain('[redacted]');
    expectNoSecretIn(error, ['wrong-secret-Q9', vault.masterPassword]);
    expect(fake.commands()).toEqual([SERVE, 'GET /status', '--version', 'status', 'login --apikey']);
  });

  it('refuses a CLI logged in as another user than the API key belongs to', async () => {
    const vault = defaultVault({
      serverUrl: SERVER,
      status: 'locked',
      userId: '99999999-9999-4999-8999-999999999999',
    });
    const { source, commands } = setup(vault);
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_LOGIN_FAILED',
    );
    expectNoSecretIn(error, [vault.clientId, USER_ID_OF(vault)]);
    expect(commands()).not.toContain(UNLOCK);
  });

  it('checks bw --version once per source and refuses another version', async () => {
    const vault = defaultVault({ serverUrl: SERVER, status: 'locked', collections: [A] });
    const { source, commands } = setup(vault);
    await source.fetchMany([request('tenant-a')]);
    await source.fetchMany([request('tenant-a')]);
    expect(commands().filter((c) => c === '--version')).toHaveLength(1);

    const other = setup(defaultVault({ version: '2026.9.0' }));
    const error = expectFailed(
      (await other.source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_CLI_FAILED',
    );
    expect(error.message).toContain('2026.6.0');
    // The serve process booting beside the version check is ended without a request beyond its status.
    expect(other.commands()).toEqual([SERVE, 'GET /status', '--version']);
    expect(other.calls.some((call) => call.body !== undefined)).toBe(false);
  });
});

const USER_ID_OF = (vault: FakeVault) => vault.clientId.slice('user.'.length);

describe('createBitwardenSource: unlock, sync and lock', () => {
  it('treats an unlock answered without a session key as a failure, and still locks', async () => {
    const vault = defaultVault({ serverUrl: SERVER, status: 'locked', unlockAnswersNoKey: true });
    const { source, commands } = setup(vault);
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_UNLOCK_FAILED',
    );
    expect(error.message).toContain('without a session key');
    expect(commands()).toEqual([SERVE, 'GET /status', '--version', UNLOCK, 'POST /lock']);
    expect(vault.serving).toBe(false);
  });

  it('when the serve process dies before the lock, locks with the per-command bw lock', async () => {
    const vault = defaultVault({
      serverUrl: SERVER,
      status: 'locked',
      collections: [A],
      serveDiesOn: '/lock',
    });
    const { source, commands } = setup(vault);
    const events: ProgressEvent[] = [];
    expect((await source.fetchMany([request('tenant-a')], (e) => events.push(e))).get('tenant-a')?.kind).toBe(
      'secrets',
    );
    expect(commands().slice(-2)).toEqual(['POST /lock', 'lock']);
    expect(vault.status).toBe('locked');
    expect(events).toContainEqual(expect.objectContaining({ kind: 'vault-step', step: 'lock', ok: true }));
  });

  it('a serve process that dies mid-batch fails the batch with its scrubbed stderr, and is locked', async () => {
    const vault = defaultVault({
      serverUrl: SERVER,
      status: 'locked',
      collections: [A],
      serveDiesOn: '/list/object/collections',
    });
    const { source, commands } = setup(vault);
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_CLI_FAILED',
    );
    expect(error.message).toBe(
      'bw list collections failed: the bw serve process ended (exit 1): fake bw serve crashed',
    );
    expect(commands().slice(-2)).toEqual(['POST /lock', 'lock']);
    expect(vault.status).toBe('locked');
  });

  it('reports a wrong master password without quoting it', async () => {
    const vault = defaultVault({ serverUrl: SERVER, status: 'locked' });
    const fake = createFakeBw(vault);
    vault.stderrEcho = ' password was wrong-master-77';
    const source = createBitwardenSource({
      serverUrl: SERVER,
      appDataDir,
      credentials: {
        clientId: vault.clientId,
        clientSecret: vault.clientSecret,
        masterPassword: 'wrong-master-77',
      },
      bwEntry: FAKE_BW_ENTRY,
      runner: fake.runner,
    });
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_VAULT_UNLOCK_FAILED',
    );
    expectNoSecretIn(error, ['wrong-master-77', vault.clientSecret]);
    expect(error.message).toBe(
      'bw unlock failed: Cryptography error, The decryption operation failed password was [redacted]; ' +
        "check BW_PASSWORD (the service-account user's master password)",
    );
  });

  it('fails every tenant of the batch when sync fails (a stale cache is not enough), and still locks', async () => {
    const vault = defaultVault({
      serverUrl: SERVER,
      status: 'locked',
      syncFails: true,
      collections: [A, AB],
    });
    const { source, commands } = setup(vault);
    const outcomes = await source.fetchMany([request('tenant-a'), request('tenant-ab')]);
    expectFailed(outcomes.get('tenant-a'), 'COLIBRI_VAULT_SYNC_FAILED');
    expectFailed(outcomes.get('tenant-ab'), 'COLIBRI_VAULT_SYNC_FAILED');
    expect(commands()).toEqual([SERVE, 'GET /status', '--version', UNLOCK, 'POST /sync', 'POST /lock']);
    expect(vault.status).toBe('locked');
    expect(vault.serving).toBe(false);
  });

  it('batch: one unlock, one sync and one collection list for N tenants, then one lock', async () => {
    const c = { id: 'c0000000-0000-4000-8000-00000000000c', name: 'tenant-c', organizationId: ORG };
    const vault = defaultVault({
      serverUrl: SERVER,
      status: 'locked',
      collections: [A, AB, c],
      items: [
        item({ id: 'a1', name: 'A_KEY', collectionIds: [A.id], notes: 'a' }),
        item({ id: 'b1', name: 'AB_KEY', collectionIds: [AB.id], notes: 'ab' }),
        item({ id: 'c1', name: 'C_KEY', collectionIds: [c.id], notes: 'c' }),
      ],
    });
    const { source, commands, calls } = setup(vault);
    const outcomes = await source.fetchMany([request('tenant-a'), request('tenant-ab'), request('tenant-c')]);
    const count = (name: string) => commands().filter((command) => command === name).length;
    expect(count(SERVE)).toBe(1);
    expect(count(UNLOCK)).toBe(1);
    expect(count('POST /sync')).toBe(1);
    expect(count('GET /list/object/collections')).toBe(1);
    expect(count('GET /list/object/items')).toBe(3);
    expect(count('POST /lock')).toBe(1);
    expect(commands().at(-1)).toBe('POST /lock');
    expect(outcomes.get('tenant-c')).toMatchObject({ kind: 'secrets', variables: [['C_KEY', 'c']] });
    expectCredentialHygiene(calls, vault);
  });

  it('serializes concurrent batches on one appdata dir (bw has one session slot)', async () => {
    const vault = defaultVault({ serverUrl: SERVER, status: 'locked', collections: [A, AB] });
    const { source, commands, runner } = setup(vault);
    // A second source (e.g. another caller in the daemon) over the same appdata dir and bw.
    const second = createBitwardenSource({
      serverUrl: SERVER,
      appDataDir,
      credentials: {
        clientId: vault.clientId,
        clientSecret: vault.clientSecret,
        masterPassword: vault.masterPassword,
      },
      bwEntry: FAKE_BW_ENTRY,
      runner,
    });
    const [one, two] = await Promise.all([
      source.fetchMany([request('tenant-a')]),
      second.fetchMany([request('tenant-ab')]),
    ]);
    expect(one.get('tenant-a')?.kind).toBe('secrets');
    expect(two.get('tenant-ab')?.kind).toBe('secrets');
    // Each batch runs its serve process from start to lock without the other's in between.
    const batch = [SERVE, 'GET /status', '--version', UNLOCK, 'POST /sync', 'GET /list/object/collections'];
    expect(commands()).toEqual([
      ...batch,
      'GET /list/object/items',
      'POST /lock',
      ...batch, // a second source checks the version once too
      'GET /list/object/items',
      'POST /lock',
    ]);
  });

  it('gives up with COLIBRI_VAULT_LOCK_TIMEOUT while another process holds the lock', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(appDataDir, { mode: 0o700 });
    const release = await acquireCrossProcessLock({
      directory: appDataDir,
      lockPath: join(appDataDir, 'colibri.lock'),
      waitMs: 1000,
      onCompromised: () => undefined,
    });
    try {
      const { source, calls } = setup(defaultVault({ serverUrl: SERVER, status: 'locked' }), {
        lockWaitMs: 300,
      });
      expectFailed(
        (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
        'COLIBRI_VAULT_LOCK_TIMEOUT',
      );
      expect(calls).toHaveLength(0);
    } finally {
      await release();
    }
  });
});

describe('createBitwardenSource: collections and items', () => {
  const both = () =>
    defaultVault({
      serverUrl: SERVER,
      status: 'locked',
      collections: [AB, A],
      items: [
        item({ id: 'a1', name: 'A_ONLY', collectionIds: [A.id], notes: 'secret-of-a' }),
        item({ id: 'b1', name: 'AB_ONLY', collectionIds: [AB.id], notes: 'secret-of-ab' }),
      ],
    });

  it('resolves by exact name: tenant-a never gets tenant-ab (bw --search would match both)', async () => {
    const { source } = setup(both());
    const outcomes = await source.fetchMany([request('tenant-a'), request('tenant-ab')]);
    expect(outcomes.get('tenant-a')).toEqual({
      kind: 'secrets',
      collectionId: A.id,
      variables: [['A_ONLY', 'secret-of-a']],
    });
    expect(outcomes.get('tenant-ab')).toEqual({
      kind: 'secrets',
      collectionId: AB.id,
      variables: [['AB_ONLY', 'secret-of-ab']],
    });
  });

  it('refuses two collections of the same name, without affecting other tenants', async () => {
    const vault = both();
    vault.collections.push({
      id: 'c0000000-0000-4000-8000-0000000000dd',
      name: 'tenant-a',
      organizationId: ORG,
    });
    const { source } = setup(vault);
    const outcomes = await source.fetchMany([request('tenant-a'), request('tenant-ab')]);
    expectFailed(outcomes.get('tenant-a'), 'COLIBRI_VAULT_COLLECTION_AMBIGUOUS');
    expect(outcomes.get('tenant-ab')?.kind).toBe('secrets');
  });

  it('fails the tenant closed when bw lists an item outside its collection (the OR-filter leak)', async () => {
    const vault = both();
    vault.leakedItems = [
      item({ id: 'x1', name: 'OTHER_TENANT', collectionIds: [AB.id], notes: 'not yours' }),
    ];
    const { source } = setup(vault);
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_SECRETS_UNSAFE',
    );
    expect(error.message).toContain('OTHER_TENANT');
    expect(error.message).not.toContain('not yours');
  });

  it('refuses a cached collection id that no longer matches the name, saying how to accept the new one', async () => {
    const { source } = setup(both());
    const error = expectFailed(
      (await source.fetchMany([request('tenant-a', 'c0000000-0000-4000-8000-0000000000ee')])).get('tenant-a'),
      'COLIBRI_VAULT_COLLECTION_CHANGED',
    );
    expect(error.message).toContain('colibri reset-tenant-collection tenant-a');
    expect(error.details).toMatchObject({ collectionId: A.id });
  });

  it('accepts a cached id that still matches', async () => {
    const { source } = setup(both());
    expect((await source.fetchMany([request('tenant-a', A.id)])).get('tenant-a')?.kind).toBe('secrets');
  });

  it('no collection and no cached id → no-bucket; a cached id whose collection vanished → fail closed', async () => {
    const { source } = setup(both());
    const outcomes = await source.fetchMany([
      request('tenant-zz'),
      request('tenant-yy', 'c0000000-0000-4000-8000-0000000000ff'),
    ]);
    expect(outcomes.get('tenant-zz')).toEqual({ kind: 'no-bucket' });
    expectFailed(outcomes.get('tenant-yy'), 'COLIBRI_VAULT_COLLECTION_CHANGED');
  });

  it('a null collection name is no-bucket without running bw at all', async () => {
    const { source, calls } = setup(both());
    const outcomes = await source.fetchMany([
      { tenantId: 'tenant-a', collectionName: null, cachedCollectionId: null },
    ]);
    expect(outcomes.get('tenant-a')).toEqual({ kind: 'no-bucket' });
    expect(calls).toHaveLength(0);
  });

  it('an invalid tenant id fails without running bw', async () => {
    const { source, calls } = setup(both());
    const outcomes = await source.fetchMany([request('../etc')]);
    expectFailed(outcomes.get('../etc'), 'COLIBRI_INVALID_NAME');
    expect(calls).toHaveLength(0);
  });

  it('fails one tenant on an invalid or duplicated key and names key and item, never the value', async () => {
    const vault = both();
    vault.items.push(
      item({
        id: 'a2',
        name: 'second',
        collectionIds: [A.id],
        fields: [{ name: 'A_ONLY', value: 'dup-value-1', type: 1 }],
      }),
    );
    vault.items.push(
      item({
        id: 'b2',
        name: 'quote',
        collectionIds: [AB.id],
        fields: [{ name: 'Q', value: "it's-secret", type: 1 }],
      }),
    );
    const { source } = setup(vault);
    const outcomes = await source.fetchMany([request('tenant-a'), request('tenant-ab')]);
    const duplicate = expectFailed(outcomes.get('tenant-a'), 'COLIBRI_VAULT_SECRET_INVALID');
    expect(duplicate.message).toContain('A_ONLY');
    expect(duplicate.message).toContain('"second"');
    expectNoSecretIn(duplicate, ['dup-value-1', 'secret-of-a']);
    const quote = expectFailed(outcomes.get('tenant-ab'), 'COLIBRI_VAULT_SECRET_INVALID');
    expect(quote.message).toContain('Q');
    expectNoSecretIn(quote, ["it's-secret"]);
  });

  it('scrubs the credentials and the session key from every error, even if bw echoes them', async () => {
    const vault = both();
    const fake = createFakeBw(vault);
    const source = createBitwardenSource({
      serverUrl: SERVER,
      appDataDir,
      credentials: {
        clientId: vault.clientId,
        clientSecret: vault.clientSecret,
        masterPassword: vault.masterPassword,
      },
      bwEntry: FAKE_BW_ENTRY,
      runner: {
        run: (file, args, options) => fake.runner.run(file, args, options),
        start(file, args, options) {
          const serve = fake.runner.start(file, args, options);
          return {
            ...serve,
            async request(request) {
              const response = await serve.request(request);
              if (request.path.startsWith('/list/object/items')) {
                // bw misbehaving: failing and echoing everything it knows.
                const echo = `boom ${Object.values(options.env).join(' ')} ${secretsOf(vault).join(' ')} ${vault.sessionKeys.join(' ')}`;
                return { status: 400, body: JSON.stringify({ success: false, message: echo }) };
              }
              return response;
            },
          };
        },
      },
    });
    const outcomes = await source.fetchMany([request('tenant-a')]);
    const error = expectFailed(outcomes.get('tenant-a'), 'COLIBRI_VAULT_CLI_FAILED');
    const sessions = vault.sessionKeys;
    expect(sessions.length).toBeGreaterThan(0);
    expectNoSecretIn(error, [...secretsOf(vault), ...sessions]);
    expect(error.message).toContain('[redacted]');
  });
});

describe('createBitwardenSource: options', () => {
  const base = {
    serverUrl: SERVER,
    appDataDir: '/var/lib/colibri/bw',
    credentials: { clientId: 'user.x', clientSecret: 'sekret-123', masterPassword: 'pw-456' },
    bwEntry: FAKE_BW_ENTRY,
  };
  const invalid = (options: unknown): ColibriError => {
    try {
      createBitwardenSource(options as BitwardenSourceOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(ColibriError);
      expect((error as ColibriError).code).toBe('COLIBRI_INVALID_INPUT');
      expectNoSecretIn(error as ColibriError, ['sekret-123', 'pw-456', 'organization.abc']);
      return error as ColibriError;
    }
    throw new Error('expected createBitwardenSource to refuse the options');
  };

  it('refuses http, credentials in the URL and a non-URL', () => {
    expect(invalid({ ...base, serverUrl: 'http://vault.test' }).message).toContain('https');
    expect(invalid({ ...base, serverUrl: 'https://u:p@vault.test' }).message).toContain('credentials');
    invalid({ ...base, serverUrl: 'vault.test' });
  });

  it('refuses an organization API key with a hint to use a user key', () => {
    expect(
      invalid({ ...base, credentials: { ...base.credentials, clientId: 'organization.abc' } }).message,
    ).toContain('user.<uuid>');
  });

  it('refuses empty or non-string credentials without quoting them', () => {
    expect(invalid({ ...base, credentials: { ...base.credentials, masterPassword: '' } }).message).toContain(
      'BW_PASSWORD',
    );
    invalid({ ...base, credentials: { ...base.credentials, clientSecret: 12345 } });
  });

  it('refuses a relative appdata dir and extraEnv overriding what colibri sets', () => {
    invalid({ ...base, appDataDir: 'bw' });
    expect(invalid({ ...base, extraEnv: { BW_SESSION: 'x' } }).message).toContain('BW_SESSION');
  });
});
