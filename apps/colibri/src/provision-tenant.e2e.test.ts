// `colibri provision-tenant` end to end with real processes: a real colibrid on a temp
// COLIBRI_HOME, the CLI spawned as `node bin/run.js …`, the directory secret source, and real
// jail homes under a temp jail root (run as root: the .env is chowned to the jail user).
import {
  chown,
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
import type { ShowTenantResponse } from '@colibri/api';
import type { ProvisionResult } from '@colibri/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hive, startHive } from './testing/colibri-process.test-helper.js';

const JAIL_USER = 12345;
const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('colibri provision-tenant against a real colibrid', { timeout: 60_000 }, () => {
  let hive: Hive;
  let base: string;
  let jailRoot: string;
  let secrets: string;
  let hostFile: string;
  const home = (jail: string) => join(jailRoot, jail, 'home', 'agent');
  const flags = () => ['--jail-root', jailRoot, '--secrets-dir', secrets];

  beforeAll(async () => {
    hive = await startHive();
    base = await mkdtemp(join(tmpdir(), 'colibri-provision-e2e-'));
    jailRoot = join(base, 'jails');
    secrets = join(base, 'secrets');
    hostFile = join(base, 'host-file');
    await mkdir(secrets, { mode: 0o700 });
    await writeFile(hostFile, 'host data\n', { mode: 0o644 });
    for (const jail of ['acme', 'globex-jail', 'lean', 'leaky', 'evil', 'rooty']) {
      await mkdir(home(jail), { recursive: true });
      if (jail !== 'rooty') await chown(home(jail), JAIL_USER, JAIL_USER);
    }
    await writeFile(
      join(secrets, 'acme.env'),
      "# acme's demo secrets\nAPI_KEY='k-acme'\nDB_URL='postgres://a b'\n",
      {
        mode: 0o600,
      },
    );
    await writeFile(join(secrets, 'globex.env'), 'MOTTO=\'$HOME `x` "q"\'\n', { mode: 0o600 });
    await writeFile(join(secrets, 'leaky.env'), "A='1'\n", { mode: 0o644 });
    await writeFile(join(secrets, 'evil.env'), "A='1'\n", { mode: 0o600 });
    await writeFile(join(secrets, 'rooty.env'), "A='1'\n", { mode: 0o600 });
    // A jail user's attack: .env planted as a link to a host file.
    await symlink(hostFile, join(home('evil'), '.env'));

    for (const args of [
      ['register-tenant', 'acme'],
      ['register-tenant', 'globex', '--jail', 'globex-jail', '--collection', 'Tenants/Globex'],
      ['register-tenant', 'lean', '--no-collection'],
      ['register-tenant', 'leaky'],
      ['register-tenant', 'evil'],
      ['register-tenant', 'rooty'],
    ]) {
      const result = await hive.colibri(args);
      expect(result.status, result.stderr).toBe(0);
    }
  }, 60_000);
  afterAll(async () => {
    await hive?.stop();
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  });

  it("writes one tenant's .env (0600, owned by the jail user), records it, then reports unchanged", async () => {
    const first = await hive.colibri(['provision-tenant', 'acme', ...flags()]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const path = join(home('acme'), '.env');
    expect(lines(first.stdout)).toEqual([`acme: written ${path}`]);
    expect(await readFile(path, 'utf8')).toBe("API_KEY='k-acme'\nDB_URL='postgres://a b'\n");
    const stats = await stat(path);
    expect([stats.mode & 0o7777, stats.uid, stats.gid]).toEqual([0o600, JAIL_USER, JAIL_USER]);

    const again = await hive.colibri(['provision-tenant', 'acme', ...flags()]);
    expect(again.status).toBe(0);
    expect(lines(again.stdout)).toEqual([`acme: unchanged ${path}`]);
    expect((await stat(path)).ino).toBe(stats.ino);

    const shown = await hive.json<ShowTenantResponse>(['show-tenant', 'acme']);
    expect(shown.tenant.status).toBe('provisioned');
    expect(shown.events.at(-1)).toMatchObject({
      to: 'provisioned',
      details: { outcome: 'written', collectionId: null },
    });
  });

  it('--all: one result per tenant, failures isolated, the symlink refused and its target untouched', async () => {
    const result = await hive.colibri(['provision-tenant', '--all', ...flags(), '--json']);
    // Two refusals of one kind (forbidden: an unsafe secrets file, a planted symlink) plus a root-owned
    // jail home (invalid input): several kinds → exit 1.
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    const results = JSON.parse(result.stdout) as ProvisionResult[];
    expect(results.map((r) => [r.tenantId, r.outcome, r.code])).toEqual([
      ['acme', 'unchanged', undefined],
      ['evil', 'failed', 'COLIBRI_UNSAFE_PATH'],
      ['globex', 'written', undefined],
      ['leaky', 'failed', 'COLIBRI_SECRETS_UNSAFE'],
      ['lean', 'no-bucket', undefined],
      ['rooty', 'failed', 'COLIBRI_INVALID_INPUT'],
    ]);
    expect(results.find((r) => r.tenantId === 'leaky')?.reason).toContain('chmod 600');
    expect(results.find((r) => r.tenantId === 'rooty')?.reason).toContain('--owner 0:0');
    expect(await readFile(join(home('globex-jail'), '.env'), 'utf8')).toBe('MOTTO=\'$HOME `x` "q"\'\n');
    expect(await readdir(home('lean'))).toEqual([]);
    expect(await readdir(home('leaky'))).toEqual([]);
    expect(await readdir(home('rooty'))).toEqual([]);
    expect(await readFile(hostFile, 'utf8')).toBe('host data\n');
    expect((await lstat(join(home('evil'), '.env'))).isSymbolicLink()).toBe(true);

    const evil = await hive.json<ShowTenantResponse>(['show-tenant', 'evil']);
    expect(evil.tenant.status).toBe('failed');
    expect(evil.events.at(-1)?.reason).toContain('symbolic link');
    const lean = await hive.json<ShowTenantResponse>(['show-tenant', 'lean']);
    expect(lean.tenant.status).toBe('provisioned');
  });

  it('--all in human mode: one progress line per tenant on stderr, a summary on stdout', async () => {
    const result = await hive.colibri(['provision-tenant', '--all', ...flags()]);
    expect(result.status).toBe(1);
    expect(lines(result.stdout)).toEqual(['6 tenants: 2 unchanged, 1 no-bucket, 3 failed']);
    const progress = lines(result.stderr);
    expect(progress).toHaveLength(6);
    expect(progress.find((line) => line.startsWith('acme:'))).toMatch(
      /^acme: unchanged \S+\/acme\/home\/agent\/\.env \(fetch \d+ ms, write \d+ ms\)$/,
    );
    expect(progress.find((line) => line.startsWith('leaky:'))).toMatch(
      /^leaky: failed: .* \[COLIBRI_SECRETS_UNSAFE\]/,
    );
  });

  it('an explicit --owner 0:0 accepts a root-owned jail home; one failing tenant exits with its kind', async () => {
    const ok = await hive.colibri(['provision-tenant', 'rooty', ...flags(), '--owner', '0:0']);
    expect(ok.status).toBe(0);
    expect((await stat(join(home('rooty'), '.env'))).uid).toBe(0);
    const leaky = await hive.colibri(['provision-tenant', 'leaky', ...flags()]);
    expect(leaky.status).toBe(77);
    expect(leaky.stdout).toBe('');
    expect(leaky.stderr).toMatch(/^colibri: .*chmod 600.* \[COLIBRI_SECRETS_UNSAFE\]\n$/);
  });

  it('refuses bad usage before touching anything, and takes vault credentials only from the environment', async () => {
    const neither = await hive.colibri(['provision-tenant', ...flags()]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toContain('give one TENANT or --all');
    const outside = await hive.colibri([
      'provision-tenant',
      'acme',
      ...flags(),
      '--jail-home',
      base,
      '--owner',
      '12345:12345',
    ]);
    expect(outside.status).toBe(77);
    expect(outside.stderr).toContain('not inside the allowed jail root');
    const noCreds = await hive.colibri(
      ['provision-tenant', 'acme', '--jail-root', jailRoot, '--vault-server', 'https://vault.test'],
      {
        BW_CLIENTID: 'user.x',
      },
    );
    expect(noCreds.status).toBe(2);
    expect(noCreds.stderr).toContain('BW_CLIENTSECRET, BW_PASSWORD are not set');
    // The old spelling still works for one release, with a deprecation warning.
    const oldSpelling = await hive.colibri(
      ['provision-tenant', 'acme', '--jail-root', jailRoot, '--server', 'https://vault.test'],
      { BW_CLIENTID: 'user.x' },
    );
    expect(oldSpelling.status).toBe(2);
    expect(oldSpelling.stderr).toContain('The "--server" flag has been deprecated. Use "--vault-server"');
    expect(oldSpelling.stderr).toContain('BW_CLIENTSECRET, BW_PASSWORD are not set');
    const flagCreds = await hive.colibri(['provision-tenant', 'acme', '--password', 'x']);
    expect(flagCreds.status).toBe(2);
    const unknown = await hive.colibri(['provision-tenant', 'nobody', ...flags()]);
    expect(unknown.status).toBe(3);
  });
});
