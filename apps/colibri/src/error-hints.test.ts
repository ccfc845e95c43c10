import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { hintFor, withHint } from './error-hints.js';

describe('hintFor', () => {
  it('points to the tenant commands for an unknown tenant', () => {
    const error = new ColibriError('COLIBRI_TENANT_NOT_FOUND', 'no tenant "ghost"', { tenantId: 'ghost' });
    expect(withHint(error)).toBe(
      'no tenant "ghost" (colibri list-tenants shows them; colibri register-tenant adds one)',
    );
  });

  it('names the flag to change by what clashed when a tenant exists', () => {
    const exists = (clash: string) =>
      new ColibriError('COLIBRI_TENANT_EXISTS', 'cannot register tenant acme: …', {
        tenantId: 'acme',
        jail: 'acme',
        collection: 'acme',
        clash,
      });
    expect(hintFor(exists('tenant'))).toBe('colibri show-tenant acme shows it');
    expect(hintFor(exists('jail'))).toBe('pick another --jail');
    expect(hintFor(exists('collection'))).toBe('pick another --collection');
    expect(hintFor(exists('concurrent'))).toBeUndefined();
  });

  it('names the reset command for a re-created collection, unless the message already does', () => {
    const changed = new ColibriError(
      'COLIBRI_VAULT_COLLECTION_CHANGED',
      'tenant acme has collection id c-1 cached …',
      {
        tenantId: 'acme',
        cachedCollectionId: 'c-1',
        collectionId: 'c-2',
      },
    );
    expect(hintFor(changed)).toBe(
      'to accept the new collection: colibri reset-tenant-collection acme, then provision again',
    );
    const owned = new ColibriError('COLIBRI_VAULT_COLLECTION_CHANGED', 'already cached for tenant globex', {
      tenantId: 'acme',
      cachedCollectionId: null,
      collectionId: 'c-2',
      owner: 'globex',
    });
    expect(hintFor(owned)).toBeUndefined();
    const fromVault = new ColibriError(
      'COLIBRI_VAULT_COLLECTION_CHANGED',
      'forget the cached id with: colibri reset-tenant-collection acme',
      { tenantId: 'acme', cachedCollectionId: 'c-1' },
    );
    expect(hintFor(fromVault)).toBeUndefined();
  });

  it('says how to get a new join token, and adds nothing to other errors', () => {
    expect(hintFor(new ColibriError('COLIBRI_JOIN_TOKEN_INVALID', 'the join token has expired'))).toMatch(
      /colibri join-token --tenant/,
    );
    expect(hintFor(new ColibriError('COLIBRI_TASK_NOT_FOUND', 'no task', { taskId: 'x' }))).toBeUndefined();
  });
});
