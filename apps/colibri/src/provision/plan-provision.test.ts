import type { ApiTenant } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { planProvision } from './plan-provision.js';
import type { ProvisionConfig } from './resolve-provision-config.js';

const tenant = (name: string, overrides: Partial<ApiTenant> = {}): ApiTenant => ({
  tenant: name,
  jail: name,
  collection: name,
  collectionId: null,
  status: 'pending',
  createdAt: '2026-11-21T00:00:00.000Z',
  updatedAt: '2026-11-21T00:00:00.000Z',
  ...overrides,
});
const config = (overrides: Partial<ProvisionConfig> = {}): ProvisionConfig => ({
  source: { kind: 'directory', directory: '/s' },
  layout: 'linux',
  jailRoot: '/jails',
  jailHome: undefined,
  owner: undefined,
  ...overrides,
});
const homes: Record<string, { uid: number; gid: number }> = {
  '/jails/acme/home/agent': { uid: 1001, gid: 1002 },
  '/jails/rooty/home/agent': { uid: 0, gid: 0 },
};
const stat = async (path: string) => homes[path];
/** No jail has a colibri record (as for jails made by hand). */
const noRecords = async () => undefined;

describe('planProvision', () => {
  it('targets <jail-root>/<jail>/home/agent, owned like the jail home, with the cached collection', async () => {
    const [plan] = await planProvision(
      [tenant('acme', { collectionId: 'c-1', collection: 'Tenants/Acme' })],
      config(),
      stat,
      noRecords,
    );
    expect(plan).toMatchObject({
      target: {
        tenantId: 'acme',
        collectionName: 'Tenants/Acme',
        cachedCollectionId: 'c-1',
        jailHome: '/jails/acme/home/agent',
        owner: { uid: 1001, gid: 1002 },
      },
    });
  });

  it('refuses a missing jail home and a root-owned one (unless an owner is given)', async () => {
    const plans = await planProvision([tenant('ghost'), tenant('rooty')], config(), stat, noRecords);
    expect(plans.map((p) => ('refused' in p ? p.refused.code : 'ok'))).toEqual([
      'COLIBRI_INVALID_INPUT',
      'COLIBRI_INVALID_INPUT',
    ]);
    expect('refused' in plans[1]! && plans[1].refused.reason).toContain('--owner 0:0');
    const [explicit] = await planProvision(
      [tenant('rooty')],
      config({ owner: { uid: 0, gid: 0 } }),
      stat,
      noRecords,
    );
    expect(explicit).toMatchObject({ target: { owner: { uid: 0, gid: 0 } } });
  });

  it('uses an explicit jail home and refuses an invalid jail name', async () => {
    const [plan] = await planProvision(
      [tenant('acme')],
      config({ jailHome: '/elsewhere/acme' }),
      async () => ({ uid: 7, gid: 7 }),
      noRecords,
    );
    expect(plan).toMatchObject({ target: { jailHome: '/elsewhere/acme' } });
    const [bad] = await planProvision([tenant('acme', { jail: '../etc' })], config(), stat, noRecords);
    expect(bad).toMatchObject({ refused: { outcome: 'failed', code: 'COLIBRI_INVALID_NAME' } });
  });

  it("bastille's layout: the home is <jails>/<jail>/root/home/agent, as the bastille driver keeps it", async () => {
    const seen: string[] = [];
    const [plan] = await planProvision(
      [tenant('acme')],
      config({ layout: 'bastille', jailRoot: '/usr/local/bastille/jails' }),
      async (path) => {
        seen.push(path);
        return { uid: 1001, gid: 1001 };
      },
      noRecords,
    );
    expect(plan).toMatchObject({ target: { jailHome: '/usr/local/bastille/jails/acme/root/home/agent' } });
    expect(seen).toEqual(['/usr/local/bastille/jails/acme/root/home/agent']);
  });

  it("each tenant's .env belongs to its own jail user, from the jail's record first", async () => {
    const records: Record<string, { uid: number; gid: number }> = {
      acme: { uid: 470001, gid: 470001 },
      globex: { uid: 470002, gid: 470002 },
    };
    const plans = await planProvision(
      [tenant('acme'), tenant('globex')],
      config(),
      async () => ({ uid: 5, gid: 5 }),
      async (jail) => records[jail],
    );
    expect(plans.map((plan) => ('target' in plan ? plan.target.owner : plan.refused))).toEqual([
      { uid: 470001, gid: 470001 },
      { uid: 470002, gid: 470002 },
    ]);
  });

  it('--all with one --owner is refused unless every tenant maps to it; nothing is planned', async () => {
    const records: Record<string, { uid: number; gid: number }> = {
      acme: { uid: 470001, gid: 470001 },
      globex: { uid: 470002, gid: 470002 },
    };
    const refusal = await planProvision(
      [tenant('acme'), tenant('globex')],
      config({ owner: { uid: 470001, gid: 470001 } }),
      stat,
      async (jail) => records[jail],
    ).catch((error: { code: string; message: string }) => error);
    expect(refusal).toMatchObject({ code: 'COLIBRI_INVALID_INPUT' });
    expect((refusal as { message: string }).message).toMatch(
      /^--owner 470001:470001 with several tenants would give every tenant's .env the same owner, but tenant globex belongs to 470002:470002: /,
    );
    // Every tenant's jail user is that owner: allowed.
    const same = await planProvision(
      [tenant('acme'), tenant('globex')],
      config({ owner: { uid: 470001, gid: 470001 } }),
      stat,
      async () => ({ uid: 470001, gid: 470001 }),
    );
    expect(same.every((plan) => 'target' in plan)).toBe(true);
  });
});
