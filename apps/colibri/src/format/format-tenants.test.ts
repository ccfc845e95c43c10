import type { ApiTenant } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { formatShowTenant, formatTenantLine, formatTenantTable } from './format-tenants.js';

const now = new Date('2026-06-19T12:00:00.000Z');

function tenant(overrides: Partial<ApiTenant> = {}): ApiTenant {
  return {
    tenant: 'acme',
    jail: 'acme',
    collection: 'acme',
    collectionId: null,
    status: 'pending',
    createdAt: '2026-06-19T11:00:00.000Z',
    updatedAt: '2026-06-19T11:59:30.000Z',
    ...overrides,
  };
}

describe('formatTenantTable', () => {
  it('prints one aligned row per tenant; a tenant without a bucket says so', () => {
    const text = formatTenantTable(
      [
        tenant({ status: 'active', collectionId: 'c-0a1b' }),
        tenant({
          tenant: 'lean',
          jail: 'lean-jail',
          collection: null,
          updatedAt: '2026-06-19T09:00:00.000Z',
        }),
        tenant({ tenant: 'globex', collection: 'Tenants/Globex Corp' }),
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'TENANT  STATUS   JAIL       COLLECTION-ID  UPDATED  COLLECTION',
      'acme    active   acme       c-0a1b         30s ago  acme',
      'lean    pending  lean-jail  -              3h ago   - (no bucket)',
      'globex  pending  acme       -              30s ago  Tenants/Globex Corp',
    ]);
  });

  it('says so when there are none', () => {
    expect(formatTenantTable([], now)).toBe('no tenants');
  });
});

describe('formatShowTenant', () => {
  it('prints the fields and the event log with details', () => {
    const text = formatShowTenant({
      tenant: tenant({ status: 'provisioned', collectionId: 'c-1' }),
      events: [
        {
          at: '2026-06-19T11:00:00.000Z',
          from: null,
          to: 'pending',
          reason: 'created',
          details: { jail: 'acme', collection: 'acme' },
        },
        {
          at: '2026-06-19T11:59:30.000Z',
          from: 'pending',
          to: 'provisioned',
          reason: 'provision written',
          details: { outcome: 'written', collectionId: 'c-1' },
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      'tenant         acme',
      'status         provisioned',
      'jail           acme',
      'collection     acme',
      'collection id  c-1',
      'created        2026-06-19T11:00:00.000Z',
      'updated        2026-06-19T11:59:30.000Z',
      '',
      'history:',
      '  AT                        FROM     TO           REASON             DETAILS',
      '  2026-06-19T11:00:00.000Z  (new)    pending      created            jail=acme collection=acme',
      '  2026-06-19T11:59:30.000Z  pending  provisioned  provision written  outcome=written collectionId=c-1',
    ]);
  });

  it('explains an unresolved collection id, a missing bucket and an empty log', () => {
    expect(formatShowTenant({ tenant: tenant(), events: [] })).toContain(
      'collection id  - (resolved from the name at the next provision)',
    );
    const lean = formatShowTenant({ tenant: tenant({ collection: null }), events: [] });
    expect(lean).toContain('collection     - (no bucket)');
    expect(lean).toContain('collection id  -\n');
    expect(lean).toContain('(no events: the tenant predates the event log)');
  });
});

describe('formatTenantLine', () => {
  it('names the tenant, its status, jail and collection', () => {
    expect(formatTenantLine(tenant())).toBe('tenant acme (pending): jail acme, collection "acme"');
    expect(formatTenantLine(tenant({ collection: null }))).toBe(
      'tenant acme (pending): jail acme, no bucket',
    );
  });
});
