import type { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { resolveCollection } from './resolve-collection.js';

const A = { id: 'id-a', name: 'tenant-a', organizationId: 'org' };
const AB = { id: 'id-ab', name: 'tenant-ab', organizationId: 'org' };
const UPPER = { id: 'id-up', name: 'Tenant-A', organizationId: 'org' };

const request = (cachedCollectionId: string | null = null) => ({
  tenantId: 'tenant-a',
  collectionName: 'tenant-a',
  cachedCollectionId,
});

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as ColibriError).code;
  }
  return 'none';
}

describe('resolveCollection', () => {
  it('matches the exact name only (not a prefix, not another case)', () => {
    expect(resolveCollection([AB, UPPER, A], request())).toEqual({ kind: 'found', collection: A });
    expect(resolveCollection([AB, UPPER], request())).toEqual({ kind: 'no-bucket' });
  });

  it('refuses two collections of the same name (e.g. in two organizations)', () => {
    expect(code(() => resolveCollection([A, { ...A, id: 'id-a2', organizationId: 'org2' }], request()))).toBe(
      'COLIBRI_VAULT_COLLECTION_AMBIGUOUS',
    );
  });

  it('refuses a cached id that differs, or whose collection vanished', () => {
    expect(code(() => resolveCollection([A], request('id-old')))).toBe('COLIBRI_VAULT_COLLECTION_CHANGED');
    expect(code(() => resolveCollection([AB], request('id-a')))).toBe('COLIBRI_VAULT_COLLECTION_CHANGED');
    expect(resolveCollection([A], request('id-a'))).toEqual({ kind: 'found', collection: A });
  });
});
