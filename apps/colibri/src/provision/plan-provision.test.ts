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

describe('planProvision', () => {
  it('targets <jail-root>/<jail>/home/agent, owned like the jail home, with the cached collection', async () => {
    const [plan] = await planProvision(
      [tenant('acme', { collectionId: 'c-1', collection: 'Tenants/Acme' })],
      config(),
      stat,
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
    const plans = await planProvision([tenant('ghost'), tenant('rooty')], config(), stat);
    expect(plans.map((p) => ('refused' in p ? p.refused.code : 'ok'))).toEqual([
      'COLIBRI_INVALID_INPUT',
      'COLIBRI_INVALID_INPUT',
    ]);
    expect('refused' in plans[1]! && plans[1].refused.reason).toContain('--owner 0:0');
    const [explicit] = await planProvision([tenant('rooty')], config({ owner: { uid: 0, gid: 0 } }), stat);
    expect(explicit).toMatchObject({ target: { owner: { uid: 0, gid: 0 } } });
  });

  it('uses an explicit jail home and refuses an invalid jail name', async () => {
    const [plan] = await planProvision(
      [tenant('acme')],
      config({ jailHome: '/elsewhere/acme' }),
      async () => ({ uid: 7, gid: 7 }),
    );
    expect(plan).toMatchObject({ target: { jailHome: '/elsewhere/acme' } });
    const [bad] = await planProvision([tenant('acme', { jail: '../etc' })], config(), stat);
    expect(bad).toMatchObject({ refused: { outcome: 'failed', code: 'COLIBRI_INVALID_NAME' } });
  });
});
