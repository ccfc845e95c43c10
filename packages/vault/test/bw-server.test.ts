// Proves the Bitwarden-compatible test server against the REAL pinned `bw` CLI: login with a personal API
// key, unlock, sync, list collections and items, lock; bad credentials; the server going down and back.
// One appdata dir and one login are shared by the ordered steps below: each bw call costs 1.5-4 s.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BW_CLI_PATH, bwTestEnv } from '../../../test-fixtures/bw-server/bw-env.mjs';
import { type BwTestServer, startBwTestServer } from '../../../test-fixtures/bw-server/index.mjs';

interface BwResult {
  rc: number;
  stdout: string;
  stderr: string;
}

interface BwItem {
  id: string;
  name: string;
  type: number;
  collectionIds: string[];
  organizationId: string;
  notes?: string;
  fields: Array<{ name: string; value: string; type: number }>;
  login?: { username: string | null; password: string | null };
  secureNote?: { type: number };
}

interface BwCollection {
  id: string;
  name: string;
  organizationId: string;
}

/** Values a naive shell, dotenv or JSON layer would mangle. */
const HOSTILE_PASSWORD = `p@ss 'single' "double" $HOME \${X} \`tick\` back\\slash\nline2 ü€😀`;
const HOSTILE_NOTES = 'notes with "quotes", $VAR and\nnewlines\tand tabs — ünïcödé';

describe('bw test server with the real bw CLI', () => {
  let server: BwTestServer;
  let appDataDir: string;
  let session = '';
  const ids = {} as Record<
    'a' | 'ab' | 'dup1' | 'dup2' | 'late' | 'dbItem' | 'noteItem' | 'abOnlyItem',
    string
  >;

  /** Runs the real CLI: argv array, no shell, only the fixture's env plus what this call needs. */
  function bw(args: string[], extraEnv: Record<string, string> = {}): Promise<BwResult> {
    const env = { ...bwTestEnv({ server, appDataDir }), ...extraEnv };
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BW_CLI_PATH, ...args],
        { env, timeout: 60_000 },
        (error, stdout, stderr) => {
          const rc = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ rc, stdout, stderr });
        },
      );
    });
  }

  const withSession = () => ({ BW_SESSION: session });
  const names = (collections: BwCollection[]) => collections.map((c) => c.name).sort();

  beforeAll(async () => {
    server = await startBwTestServer();
    appDataDir = await mkdtemp(join(tmpdir(), 'colibri-bw-appdata-'));
    ids.a = server.addCollection('tenant-a');
    ids.ab = server.addCollection('tenant-ab');
    ids.dup1 = server.addCollection('dup');
    ids.dup2 = server.addCollection('dup');
    ids.dbItem = server.addItem({
      name: 'database',
      type: 'login',
      collectionIds: [ids.a, ids.ab],
      username: 'app_user',
      password: HOSTILE_PASSWORD,
      notes: HOSTILE_NOTES,
      fields: [
        { name: 'DATABASE_HOST', value: 'db.internal' },
        { name: 'API_TOKEN', value: 'tok=en;$(rm -rf /)', type: 1 },
        { name: 'FEATURE_FLAG', value: 'true', type: 2 },
        { name: 'MULTILINE', value: 'line1\nline2 "q" \'s\'', type: 0 },
      ],
    });
    ids.noteItem = server.addItem({ name: 'readme', type: 'note', collectionIds: [ids.a] });
    ids.abOnlyItem = server.addItem({
      name: 'ab-only',
      type: 'login',
      collectionIds: [ids.ab],
      password: 'ab-secret',
    });
  });

  afterAll(async () => {
    await server?.close();
    if (appDataDir) await rm(appDataDir, { recursive: true, force: true });
  });

  it('saves the server URL', async () => {
    const result = await bw(['config', 'server', server.url]);
    expect(result).toMatchObject({ rc: 0, stdout: 'Saved setting `config`.' });
  });

  it('rejects a wrong client secret like the real server (rc 1, no login)', async () => {
    const result = await bw(['login', '--apikey'], {
      BW_CLIENTID: server.user.clientId,
      BW_CLIENTSECRET: `${server.user.clientSecret}x`,
    });
    expect(result.rc).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('client_id or client_secret is incorrect');
  });

  it('logs in with the personal API key from the environment', async () => {
    const result = await bw(['login', '--apikey'], {
      BW_CLIENTID: server.user.clientId,
      BW_CLIENTSECRET: server.user.clientSecret,
    });
    expect(result.rc, result.stderr).toBe(0);
    expect(result.stdout).toContain('You are logged in!');
  });

  it('reports the account as locked, on this server', async () => {
    const result = await bw(['status']);
    expect(result.rc, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      serverUrl: server.url,
      userEmail: server.user.email,
      userId: server.user.userId,
      status: 'locked',
    });
  });

  it('fails to unlock with a wrong master password (checked locally by decrypting the user key)', async () => {
    const result = await bw(['unlock', '--passwordenv', 'BW_PASSWORD', '--raw'], {
      BW_PASSWORD: `${server.user.masterPassword}-wrong`,
    });
    expect(result.rc).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('decryption operation failed');
  });

  it('unlocks with the master password and prints a raw session key', async () => {
    const result = await bw(['unlock', '--passwordenv', 'BW_PASSWORD', '--raw'], {
      BW_PASSWORD: server.user.masterPassword,
    });
    expect(result.rc, result.stderr).toBe(0);
    // 64 random bytes, base64: 88 characters, no newline.
    expect(result.stdout).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    session = result.stdout;
  });

  it('syncs, fetching what changed on the server since login', async () => {
    ids.late = server.addCollection('tenant-late');
    const before = server.requests.length;
    const result = await bw(['sync'], withSession());
    expect(result).toMatchObject({ rc: 0, stdout: 'Syncing complete.' });
    expect(server.requests.slice(before)).toContainEqual({ method: 'GET', path: '/api/sync' });
  });

  it('lists the decrypted collections, duplicates and prefixes included', async () => {
    const result = await bw(['list', 'collections'], withSession());
    expect(result.rc, result.stderr).toBe(0);
    const collections = JSON.parse(result.stdout) as BwCollection[];
    expect(names(collections)).toEqual(['dup', 'dup', 'tenant-a', 'tenant-ab', 'tenant-late']);
    expect(
      collections
        .filter((c) => c.name === 'dup')
        .map((c) => c.id)
        .sort(),
    ).toEqual([ids.dup1, ids.dup2].sort());
    expect(collections.find((c) => c.name === 'tenant-a')).toMatchObject({
      id: ids.a,
      organizationId: server.organizationId,
    });
  });

  it("lists one collection's items with every secret decrypted exactly", async () => {
    const result = await bw(['list', 'items', '--collectionid', ids.a], withSession());
    expect(result.rc, result.stderr).toBe(0);
    const items = JSON.parse(result.stdout) as BwItem[];
    expect(items.map((i) => i.id).sort()).toEqual([ids.dbItem, ids.noteItem].sort());

    const db = items.find((i) => i.id === ids.dbItem);
    expect(db).toMatchObject({
      name: 'database',
      type: 1,
      organizationId: server.organizationId,
      notes: HOSTILE_NOTES,
      login: { username: 'app_user', password: HOSTILE_PASSWORD },
      fields: [
        { name: 'DATABASE_HOST', value: 'db.internal', type: 0 },
        { name: 'API_TOKEN', value: 'tok=en;$(rm -rf /)', type: 1 },
        { name: 'FEATURE_FLAG', value: 'true', type: 2 },
        { name: 'MULTILINE', value: 'line1\nline2 "q" \'s\'', type: 0 },
      ],
    });
    expect(db?.collectionIds.slice().sort()).toEqual([ids.a, ids.ab].sort());

    const note = items.find((i) => i.id === ids.noteItem);
    expect(note).toMatchObject({ name: 'readme', type: 2, secureNote: { type: 0 }, fields: [] });
    expect(note).not.toHaveProperty('notes');
  });

  it('keeps the other collection separate', async () => {
    const result = await bw(['list', 'items', '--collectionid', ids.ab], withSession());
    expect(result.rc, result.stderr).toBe(0);
    const items = JSON.parse(result.stdout) as BwItem[];
    expect(items.map((i) => i.id).sort()).toEqual([ids.dbItem, ids.abOnlyItem].sort());
    expect(items.find((i) => i.id === ids.abOnlyItem)?.login?.password).toBe('ab-secret');
  });

  it('fails sync while the server is down, but still answers list from the cache', async () => {
    await server.stop();
    // Changes made while down must not show up until a sync succeeds.
    server.renameCollection(ids.late, 'tenant-renamed');
    server.addCollection('added-while-down');
    server.removeCollection(ids.dup2);
    server.removeItem(ids.abOnlyItem);

    const sync = await bw(['sync'], withSession());
    expect(sync.rc).toBe(1);
    expect(sync.stdout).toBe('');
    expect(sync.stderr).toMatch(/^Syncing failed: .*ECONNREFUSED/);

    const list = await bw(['list', 'collections'], withSession());
    expect(list.rc, list.stderr).toBe(0);
    expect(names(JSON.parse(list.stdout) as BwCollection[])).toEqual([
      'dup',
      'dup',
      'tenant-a',
      'tenant-ab',
      'tenant-late',
    ]);
  });

  it('syncs again after restart on the same port, picking up the changes', async () => {
    await server.restart();
    const sync = await bw(['sync'], withSession());
    expect(sync).toMatchObject({ rc: 0, stdout: 'Syncing complete.' });

    const collections = await bw(['list', 'collections'], withSession());
    expect(collections.rc, collections.stderr).toBe(0);
    expect(names(JSON.parse(collections.stdout) as BwCollection[])).toEqual([
      'added-while-down',
      'dup',
      'tenant-a',
      'tenant-ab',
      'tenant-renamed',
    ]);

    const items = await bw(['list', 'items', '--collectionid', ids.ab], withSession());
    expect(items.rc, items.stderr).toBe(0);
    expect((JSON.parse(items.stdout) as BwItem[]).map((i) => i.id)).toEqual([ids.dbItem]);
  });

  it('locks: vault commands then fail with "Vault is locked."', async () => {
    const lock = await bw(['lock'], withSession());
    expect(lock.rc, lock.stderr).toBe(0);
    expect(lock.stdout).toContain('Your vault is locked.');

    const list = await bw(['list', 'collections'], withSession());
    expect(list).toMatchObject({ rc: 1, stdout: '', stderr: 'Vault is locked.' });
  });

  it('logged only the routes it implements, and never a secret', () => {
    const implemented = new Set([
      'POST /identity/connect/token',
      'GET /api/config',
      'GET /api/sync',
      'GET /api/accounts/revision-date',
    ]);
    const seen = new Set(server.requests.map((r) => `${r.method} ${r.path}`));
    expect([...seen].filter((route) => !implemented.has(route))).toEqual([]);
    expect(seen).toContain('POST /identity/connect/token');
    const log = JSON.stringify(server.requests);
    expect(log).not.toContain(server.user.clientSecret);
    expect(log).not.toContain(server.user.masterPassword);
  });
});

describe('bw test server fixture: inputs and HTTP checks', () => {
  let server: BwTestServer;

  beforeAll(async () => {
    server = await startBwTestServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A raw HTTPS GET trusting only the fixture's CA. */
  async function get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const ca = await readFile(server.caCertPath, 'utf8');
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, server.url), { ca, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves TLS signed by its CA and refuses /api without a valid bearer token', async () => {
    expect((await get('/api/config')).status).toBe(200);
    expect((await get('/api/sync')).status).toBe(401);
    expect((await get('/api/sync', { authorization: 'Bearer a.b.c' })).status).toBe(401);
  });

  it('answers an unknown route with 404 naming it', async () => {
    const reply = await get('/api/accounts/key-management/user-key-id');
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({
      message: expect.stringContaining('/api/accounts/key-management/user-key-id'),
    });
  });

  it('refuses connections after stop() and answers again after restart()', async () => {
    await server.stop();
    await expect(get('/api/config')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.restart();
    expect((await get('/api/config')).status).toBe(200);
  });

  it('rejects bad fixture input with a message that says what to do', async () => {
    const id = server.addCollection('tenant-x');
    expect(() => server.addItem({ name: 'x', type: 'login', collectionIds: ['nope'] })).toThrow(
      /no collection with id "nope"; use an id returned by addCollection/,
    );
    expect(() =>
      server.addItem({
        name: 'x',
        type: 'login',
        collectionIds: [id],
        fields: [{ name: 'B', value: 'yes', type: 2 }],
      }),
    ).toThrow(/must be "true" or "false"/);
    expect(() => server.addItem({ name: 'x', type: 'note', collectionIds: [id], password: 'p' })).toThrow(
      /a 'note' item has no username or password/,
    );
    expect(() => server.removeItem('nope')).toThrow(/no item with id "nope"/);
    expect(() => server.addCollection('')).toThrow(/non-empty string/);
    await expect(startBwTestServer({ kdfIterations: 1000 })).rejects.toThrow(
      /kdfIterations must be an integer >= 5000/,
    );
  });
});
