// One contract every SecretSource keeps (the Bitwarden source, the directory source), run on each
// implementation like the store's and the jail drivers' suites. A setup seeds its own backend
// (collections in a vault, files in a directory) and returns a source over it.
import type { ColibriError } from '@colibri/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchOutcome, ProgressEvent, SecretSource, TenantSecretRequest } from '../../src/index.js';

/** What a contract run needs from one implementation. */
export interface SecretSourceContractSetup {
  readonly source: SecretSource;
  /**
   * Puts a bucket named `name` holding exactly `variables` into the backend (a collection with one
   * secure note per variable; a `<name>.env` file) and returns its id (null for sources without ids).
   */
  addBucket(name: string, variables: ReadonlyArray<readonly [string, string]>): Promise<string | null>;
  /**
   * Puts a bucket whose content cannot become a `.env` (a value with a single quote) holding
   * `secret` under `key`: the source must fail that tenant without quoting the secret.
   */
  addUnusableBucket(name: string, key: string, secret: string): Promise<void>;
  cleanup(): Promise<void>;
}

const request = (tenantId: string, collectionName: string | null = tenantId): TenantSecretRequest => ({
  tenantId,
  collectionName,
  cachedCollectionId: null,
});

function failed(outcome: FetchOutcome | undefined): ColibriError {
  expect(outcome?.kind).toBe('failed');
  return (outcome as { error: ColibriError }).error;
}

export function describeSecretSourceContract(
  label: string,
  setup: () => Promise<SecretSourceContractSetup>,
): void {
  describe(`secret source contract: ${label}`, () => {
    let s: SecretSourceContractSetup;
    const ids: Record<string, string | null> = {};
    /** The first batch: every case at once (a real vault pays its fixed costs once per batch). */
    let outcomes: ReadonlyMap<string, FetchOutcome>;
    const events: ProgressEvent[] = [];

    beforeAll(async () => {
      s = await setup();
      ids.alpha = await s.addBucket('alpha', [
        ['ZETA', 'last'],
        ['ALPHA_TOKEN', 'alpha-secret-1 $HOME `id` "q"'],
        ['MULTI', 'line one\nline two\n'],
      ]);
      ids['alpha-b'] = await s.addBucket('alpha-b', [['ALPHA_B_ONLY', 'alpha-b-secret']]);
      ids.empty = await s.addBucket('empty', []);
      ids['other-name'] = await s.addBucket('other-name', [['OTHER', 'other-secret']]);
      await s.addUnusableBucket('broken', 'BAD_VALUE', "it's-a-secret-7f");
      outcomes = await s.source.fetchMany(
        [
          request('alpha'),
          request('alpha-b'),
          request('alpha'), // asked twice: one outcome
          request('empty'),
          request('absent'),
          request('no-collection', null),
          request('broken'),
          request('../escape'),
          request('a/..'),
          request('renamed', 'other-name'),
        ],
        (event) => events.push(event),
      );
    });
    afterAll(async () => {
      await s?.cleanup();
    });

    it('answers every distinct tenant once, keyed by tenant id, never throwing', () => {
      expect([...outcomes.keys()].sort()).toEqual(
        [
          '../escape',
          'a/..',
          'absent',
          'alpha',
          'alpha-b',
          'broken',
          'empty',
          'no-collection',
          'renamed',
        ].sort(),
      );
    });

    it('a bucket: exactly its variables, sorted by key, with its id', () => {
      expect(outcomes.get('alpha')).toEqual({
        kind: 'secrets',
        collectionId: ids.alpha,
        variables: [
          ['ALPHA_TOKEN', 'alpha-secret-1 $HOME `id` "q"'],
          ['MULTI', 'line one\nline two\n'],
          ['ZETA', 'last'],
        ],
      });
    });

    it('a tenant whose name is a prefix of another gets only its own bucket', () => {
      expect(outcomes.get('alpha-b')).toEqual({
        kind: 'secrets',
        collectionId: ids['alpha-b'],
        variables: [['ALPHA_B_ONLY', 'alpha-b-secret']],
      });
    });

    it('an empty bucket: secrets with no variables; a missing one or a null collection name: no-bucket', () => {
      expect(outcomes.get('empty')).toEqual({ kind: 'secrets', collectionId: ids.empty, variables: [] });
      expect(outcomes.get('absent')).toEqual({ kind: 'no-bucket' });
      expect(outcomes.get('no-collection')).toEqual({ kind: 'no-bucket' });
    });

    it('the bucket is looked up by the request, whatever the tenant is called', () => {
      const renamed = outcomes.get('renamed');
      expect(renamed?.kind).not.toBe('failed');
      // The Bitwarden source resolves the collection name; the directory source the tenant's file.
      if (s.source.kind === 'bitwarden') {
        expect(renamed).toEqual({
          kind: 'secrets',
          collectionId: ids['other-name'],
          variables: [['OTHER', 'other-secret']],
        });
      } else {
        expect(renamed).toEqual({ kind: 'no-bucket' });
      }
    });

    it('an unusable bucket fails only that tenant, naming the key, never the value', () => {
      const error = failed(outcomes.get('broken'));
      expect(error.code).toMatch(/^COLIBRI_(VAULT_SECRET_INVALID|SECRETS_MALFORMED)$/);
      expect(error.message).toContain('BAD_VALUE');
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('a-secret-7f');
      expect(outcomes.get('alpha')?.kind).toBe('secrets');
    });

    it('a tenant id with .. or / fails with COLIBRI_INVALID_NAME', () => {
      expect(failed(outcomes.get('../escape')).code).toBe('COLIBRI_INVALID_NAME');
      expect(failed(outcomes.get('a/..')).code).toBe('COLIBRI_INVALID_NAME');
    });

    it('reports one tenant-fetched event per tenant it looked up', () => {
      const fetched = events.flatMap((e) => (e.kind === 'tenant-fetched' ? [[e.tenantId, e.outcome]] : []));
      for (const tenant of ['alpha', 'alpha-b', 'empty', 'absent', 'broken', 'renamed']) {
        expect(fetched.filter(([id]) => id === tenant)).toEqual([[tenant, outcomes.get(tenant)?.kind]]);
      }
      expect(fetched.filter(([id]) => id === 'alpha')).toHaveLength(1);
    });

    it('an empty batch answers an empty map', async () => {
      expect((await s.source.fetchMany([])).size).toBe(0);
    });
  });
}
