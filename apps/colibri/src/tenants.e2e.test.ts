// Tenants end to end with real processes: a real colibrid on a temp COLIBRI_HOME, and the CLI
// spawned as `node bin/run.js …` for every step, as an operator would run it.
import type { ApiTenant, ShowTenantResponse } from '@colibri/api';
import { createClient } from '@colibri/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hive, startHive } from './testing/colibri-process.test-helper.js';

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('colibri tenant commands against a real colibrid', { timeout: 60_000 }, () => {
  let hive: Hive;

  beforeAll(async () => {
    hive = await startHive();
  }, 60_000);
  afterAll(async () => {
    await hive?.stop();
  });

  it('register-tenant: 1:1:1 by default, or another jail and collection, or no bucket', async () => {
    const human = await hive.colibri(['register-tenant', 'acme']);
    expect(human.stderr).toBe('');
    expect(human.status).toBe(0);
    expect(lines(human.stdout)).toEqual([
      'registered tenant acme (pending): jail acme, collection "acme"',
      'next: provision its .env (colibri provision-tenant acme), then start its agent with a one-time token (colibri join-token --tenant acme)',
    ]);
    const globex = await hive.json<{ tenant: ApiTenant }>([
      'register-tenant',
      'globex',
      '--collection',
      'Tenants/Globex Corp',
      '--jail',
      'globex-jail',
    ]);
    expect(globex.tenant).toMatchObject({
      tenant: 'globex',
      jail: 'globex-jail',
      collection: 'Tenants/Globex Corp',
      collectionId: null,
      status: 'pending',
    });
    const lean = await hive.json<{ tenant: ApiTenant }>(['register-tenant', 'lean', '--no-collection']);
    expect(lean.tenant.collection).toBeNull();
  });

  it('list-tenants: an aligned table, a status filter, and JSON', async () => {
    const result = await hive.colibri(['list-tenants']);
    expect(result.status).toBe(0);
    const [header, ...rows] = lines(result.stdout);
    expect(header).toMatch(/^TENANT +STATUS +JAIL +COLLECTION-ID +UPDATED +COLLECTION$/);
    expect(rows.map((row) => row.split(/ +/).slice(0, 3))).toEqual([
      ['acme', 'pending', 'acme'],
      ['globex', 'pending', 'globex-jail'],
      ['lean', 'pending', 'lean'],
    ]);
    expect(rows[1]).toMatch(/ Tenants\/Globex Corp$/);
    expect(rows[2]).toMatch(/ - \(no bucket\)$/);
    const { tenants } = await hive.json<{ tenants: ApiTenant[] }>(['list-tenants', '--status', 'active']);
    expect(tenants).toEqual([]);
  });

  it('show-tenant and reset-tenant-collection follow provisions recorded through the API', async () => {
    // What `colibri provision-tenant` does after writing the .env: record the outcome.
    const operator = createClient({ socketPath: hive.socket, token: hive.operatorToken });
    await operator.recordProvision('acme', { outcome: 'written', collectionId: 'c-acme-1' });
    const refused = await operator
      .recordProvision('acme', { outcome: 'written', collectionId: 'c-acme-2' })
      .catch((error: { code: string }) => error.code);
    expect(refused).toBe('COLIBRI_VAULT_COLLECTION_CHANGED');

    const human = await hive.colibri(['show-tenant', 'acme']);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^tenant +acme$/m);
    expect(human.stdout).toMatch(/^status +provisioned$/m);
    expect(human.stdout).toMatch(/^collection id +c-acme-1$/m);
    expect(human.stdout).toMatch(/\(new\) +pending +created/);
    expect(human.stdout).toMatch(
      /pending +provisioned +provision written +outcome=written collectionId=c-acme-1/,
    );

    const reset = await hive.colibri(['reset-tenant-collection', 'acme']);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toContain('tenant acme: no collection id cached');
    await operator.recordProvision('acme', { outcome: 'written', collectionId: 'c-acme-2' });
    const shown = await hive.json<ShowTenantResponse>(['show-tenant', 'acme']);
    expect(shown.tenant.collectionId).toBe('c-acme-2');
    expect(shown.events.map((e) => e.reason)).toEqual([
      'created',
      'provision written',
      'cached collection id cleared by the operator',
      'provision written',
    ]);
  });

  it('bad names are refused before anything is sent (exit 2), taken ones by the daemon (exit 4)', async () => {
    const before = await hive.json<{ tenants: ApiTenant[] }>(['list-tenants']);
    const bad = await hive.colibri(['register-tenant', 'Acme']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^colibri: tenant name "Acme" is not valid: .* \[COLIBRI_INVALID_NAME\]\n$/);
    const badJail = await hive.colibri(['register-tenant', 'ok', '--jail', '../etc']);
    expect(badJail.status).toBe(2);
    expect(badJail.stderr).toContain('jail name "../etc" is not valid');
    const badCollection = await hive.colibri(['register-tenant', 'ok', '--collection', 'a\tb']);
    expect(badCollection.status).toBe(2);
    expect(badCollection.stderr).toContain('must not contain control characters');
    const both = await hive.colibri(['register-tenant', 'ok', '--collection', 'x', '--no-collection']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/cannot also be provided/);
    const taken = await hive.colibri(['register-tenant', 'acme']);
    expect(taken.status).toBe(4);
    expect(taken.stderr).toMatch(
      /tenant acme: it already exists \(colibri show-tenant acme shows it\) \[COLIBRI_TENANT_EXISTS\]/,
    );
    const takenJson = await hive.colibri(['register-tenant', 'other', '--jail', 'globex-jail', '--json']);
    expect(takenJson.status).toBe(4);
    expect(JSON.parse(takenJson.stdout)).toMatchObject({
      error: {
        code: 'COLIBRI_TENANT_EXISTS',
        message: expect.stringContaining('(pick another --jail)'),
        details: { clash: 'jail' },
      },
    });
    const badStatus = await hive.colibri(['list-tenants', '--status', 'gone']);
    expect(badStatus.status).toBe(2);
    expect(await hive.json<{ tenants: ApiTenant[] }>(['list-tenants'])).toEqual(before);
  });

  it('an unknown tenant exits 3; an agent token exits 77', async () => {
    const missing = await hive.colibri(['show-tenant', 'ghost']);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(
      /no tenant "ghost" \(colibri list-tenants shows them.*\[COLIBRI_TENANT_NOT_FOUND\]/,
    );
    expect((await hive.colibri(['reset-tenant-collection', 'ghost'])).status).toBe(3);
    const { token } = await hive.json<{ token: string }>([
      'register-agent',
      'acme-worker',
      '--tenant',
      'acme',
      '--capabilities',
      'linux',
    ]);
    const forbidden = await hive.colibri(['list-tenants'], { COLIBRI_TOKEN: token });
    expect(forbidden.status).toBe(77);
    expect(forbidden.stderr).toMatch(/operator only \[COLIBRI_FORBIDDEN\]/);
    expect(forbidden.stderr).not.toContain(token);
    expect((await hive.colibri(['register-tenant', 'sneaky'], { COLIBRI_TOKEN: token })).status).toBe(77);
  });
});
