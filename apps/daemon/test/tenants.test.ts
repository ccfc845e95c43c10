import type { ColibriClient } from '@colibri/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type Daemon, raw, startDaemon } from './daemon-harness.js';

/** Every tenant and its event log: what a refused request must leave untouched. */
async function tenantSnapshot(operator: ColibriClient): Promise<string> {
  const { tenants } = await operator.listTenants();
  const shown = await Promise.all(tenants.map((t) => operator.getTenant(t.tenant)));
  return JSON.stringify(shown);
}

describe('tenants', () => {
  let daemon: Daemon;
  let agent: ColibriClient;

  beforeAll(async () => {
    daemon = await startDaemon();
    const { token } = await daemon.operator.registerAgent({ name: 'domedog', capabilities: ['linux'] });
    agent = daemon.client(token);
  });
  afterAll(() => daemon.dispose());

  /** A raw request with the operator token, for bodies the typed client would not send. */
  const send = (method: string, path: string, body?: unknown) =>
    raw(daemon.socketPath, {
      method,
      path,
      headers: { authorization: `Bearer ${daemon.operatorToken}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  it('registers, provisions, activates and shows a tenant, every change in its event log', async () => {
    const { tenant } = await daemon.operator.registerTenant({ tenant: 'acme' });
    expect(tenant).toMatchObject({
      tenant: 'acme',
      jail: 'acme',
      collection: 'acme',
      collectionId: null,
      status: 'pending',
    });
    expect(Date.parse(tenant.createdAt)).not.toBeNaN();
    const globex = await daemon.operator.registerTenant({
      tenant: 'globex',
      jail: 'globex-jail',
      collection: 'Tenants/Globex',
    });
    expect(globex.tenant).toMatchObject({ jail: 'globex-jail', collection: 'Tenants/Globex' });
    expect(
      (await daemon.operator.registerTenant({ tenant: 'lean', collection: null })).tenant.collection,
    ).toBeNull();

    const provisioned = await daemon.operator.recordProvision('acme', {
      outcome: 'written',
      collectionId: 'c-acme',
    });
    expect(provisioned.tenant).toMatchObject({ status: 'provisioned', collectionId: 'c-acme' });
    await daemon.operator.recordProvision('lean', { outcome: 'no-bucket', collectionId: null });
    const active = await daemon.operator.setTenantStatus('acme', {
      status: 'active',
      reason: 'agent acme-1 registered',
    });
    expect(active.tenant.status).toBe('active');

    expect((await daemon.operator.listTenants()).tenants.map((t) => `${t.tenant}:${t.status}`)).toEqual([
      'acme:active',
      'globex:pending',
      'lean:provisioned',
    ]);
    expect((await daemon.operator.listTenants({ status: 'pending' })).tenants.map((t) => t.tenant)).toEqual([
      'globex',
    ]);

    const shown = await daemon.operator.getTenant('acme');
    expect(shown.tenant).toEqual(active.tenant);
    expect(shown.events.map((e) => [e.from, e.to, e.reason])).toEqual([
      [null, 'pending', 'created'],
      ['pending', 'provisioned', 'provision written'],
      ['provisioned', 'active', 'agent acme-1 registered'],
    ]);
    expect(shown.events[1]?.details).toEqual({ outcome: 'written', collectionId: 'c-acme' });
    expect(Date.parse(shown.events[0]?.at ?? '')).not.toBeNaN();
  });

  it('a re-created collection is refused (409) until the operator resets the cached id', async () => {
    await daemon.operator.registerTenant({ tenant: 'initech' });
    await daemon.operator.recordProvision('initech', { outcome: 'written', collectionId: 'c-old' });
    const before = await tenantSnapshot(daemon.operator);
    const refused = await send('POST', '/v1/tenants/initech/provision', {
      outcome: 'written',
      collectionId: 'c-new',
    });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: { code: 'COLIBRI_VAULT_COLLECTION_CHANGED' } });
    // The API names no CLI command; the details let any client say what to do.
    expect(refused.json).toMatchObject({
      error: { details: { tenantId: 'initech', cachedCollectionId: 'c-old', collectionId: 'c-new' } },
    });
    expect(await tenantSnapshot(daemon.operator)).toBe(before);

    const reset = await daemon.operator.resetTenantCollection('initech');
    expect(reset.tenant).toMatchObject({ collectionId: null, status: 'provisioned' });
    const accepted = await daemon.operator.recordProvision('initech', {
      outcome: 'written',
      collectionId: 'c-new',
    });
    expect(accepted.tenant.collectionId).toBe('c-new');
    const { events } = await daemon.operator.getTenant('initech');
    expect(events.map((e) => e.reason)).toEqual([
      'created',
      'provision written',
      'cached collection id cleared by the operator',
      'provision written',
    ]);
  });

  it('refuses bad requests with 400, naming the field and what is wrong, and changes nothing', async () => {
    await daemon.operator.registerTenant({ tenant: 'hooli' });
    const before = await tenantSnapshot(daemon.operator);
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/v1/tenants', { tenant: 'Bad Name' }, /tenant: tenant name "Bad Name" is not valid/],
      ['POST', '/v1/tenants', { tenant: '../etc' }, /tenant: tenant name/],
      ['POST', '/v1/tenants', { tenant: 'all' }, /reserved/],
      ['POST', '/v1/tenants', { tenant: 'ok', jail: 'a/b' }, /jail: jail name "a\/b" is not valid/],
      ['POST', '/v1/tenants', { tenant: 'ok', collection: 'a\tb' }, /collection: .*control characters/],
      ['POST', '/v1/tenants', { tenant: 'ok', collection: '' }, /collection: .*empty/],
      ['POST', '/v1/tenants', { tenant: 'ok', colection: 'x' }, /colection: unknown field/],
      ['POST', '/v1/tenants', { jail: 'ok' }, /tenant/],
      [
        'POST',
        '/v1/tenants/hooli/provision',
        { outcome: 'done', collectionId: null },
        /outcome: must be one of written/,
      ],
      ['POST', '/v1/tenants/hooli/provision', { outcome: 'written' }, /collectionId/],
      [
        'POST',
        '/v1/tenants/hooli/provision',
        { outcome: 'no-bucket', collectionId: 'c-1' },
        /collectionId: must be null when the outcome is no-bucket/,
      ],
      ['POST', '/v1/tenants/hooli/status', { status: 'gone', reason: 'x' }, /status: must be one of pending/],
      ['POST', '/v1/tenants/hooli/status', { status: 'failed' }, /reason/],
      ['GET', '/v1/tenants?status=lost', undefined, /status: must be one of pending/],
    ];
    for (const [method, path, body, message] of cases) {
      const reply = await send(method, path, body);
      expect({ path, body, status: reply.status }).toEqual({ path, body, status: 400 });
      const error = (reply.json as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('COLIBRI_INVALID_INPUT');
      expect(error.message).toMatch(message);
    }
    expect(await tenantSnapshot(daemon.operator)).toBe(before);
  });

  it('409 for a tenant, jail or collection that exists and for an illegal status change', async () => {
    await daemon.operator.registerTenant({ tenant: 'umbrella', jail: 'umb', collection: 'Umbrella' });
    const before = await tenantSnapshot(daemon.operator);
    expect(await codeOf(daemon.operator.registerTenant({ tenant: 'umbrella' }))).toBe(
      'COLIBRI_TENANT_EXISTS',
    );
    expect(await codeOf(daemon.operator.registerTenant({ tenant: 'other', jail: 'umb' }))).toBe(
      'COLIBRI_TENANT_EXISTS',
    );
    const clash = await send('POST', '/v1/tenants', { tenant: 'other', collection: 'Umbrella' });
    expect(clash.status).toBe(409);
    expect((clash.json as { error: { message: string } }).error.message).toMatch(
      /collection "Umbrella" already belongs to tenant umbrella/,
    );
    const illegal = await send('POST', '/v1/tenants/umbrella/status', { status: 'active', reason: 'early' });
    expect(illegal.status).toBe(409);
    expect(illegal.json).toMatchObject({
      error: {
        code: 'COLIBRI_ILLEGAL_TRANSITION',
        message: expect.stringMatching(/pending → active is not allowed/),
      },
    });
    expect(await tenantSnapshot(daemon.operator)).toBe(before);
  });

  it('404 for a tenant that does not exist', async () => {
    for (const path of ['/v1/tenants/ghost', '/v1/tenants/Not%20A%20Name']) {
      const reply = await send('GET', path);
      expect(reply.status).toBe(404);
      expect(reply.json).toMatchObject({ error: { code: 'COLIBRI_TENANT_NOT_FOUND' } });
    }
    expect(
      await codeOf(daemon.operator.recordProvision('ghost', { outcome: 'written', collectionId: null })),
    ).toBe('COLIBRI_TENANT_NOT_FOUND');
    expect(await codeOf(daemon.operator.resetTenantCollection('ghost'))).toBe('COLIBRI_TENANT_NOT_FOUND');
    expect(await codeOf(daemon.operator.setTenantStatus('ghost', { status: 'failed', reason: 'x' }))).toBe(
      'COLIBRI_TENANT_NOT_FOUND',
    );
    expect((await daemon.operator.listTenants()).tenants.map((t) => t.tenant)).not.toContain('ghost');
  });

  it('agents get 403 on every tenant route and change nothing; no token gets 401', async () => {
    await daemon.operator.registerTenant({ tenant: 'soylent' });
    const before = await tenantSnapshot(daemon.operator);
    const attempts: [string, Promise<unknown>][] = [
      ['register', agent.registerTenant({ tenant: 'sneaky' })],
      ['list', agent.listTenants()],
      ['show', agent.getTenant('soylent')],
      ['provision', agent.recordProvision('soylent', { outcome: 'written', collectionId: 'c-evil' })],
      ['reset', agent.resetTenantCollection('soylent')],
      ['status', agent.setTenantStatus('soylent', { status: 'failed', reason: 'x' })],
    ];
    for (const [what, attempt] of attempts) {
      expect({ what, code: await codeOf(attempt) }).toEqual({ what, code: 'COLIBRI_FORBIDDEN' });
    }
    expect(await codeOf(daemon.client().listTenants())).toBe('COLIBRI_UNAUTHENTICATED');
    expect(await tenantSnapshot(daemon.operator)).toBe(before);
  });
});
