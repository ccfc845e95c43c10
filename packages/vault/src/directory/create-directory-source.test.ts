import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColibriError, ErrorCode } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchOutcome } from '../secret-source.js';
import { createDirectorySource } from './create-directory-source.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'colibri-dirsource-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const request = (tenantId: string, collectionName: string | null = tenantId) => ({
  tenantId,
  collectionName,
  cachedCollectionId: null,
});

function expectFailed(outcome: FetchOutcome | undefined, code: ErrorCode): ColibriError {
  expect(outcome?.kind).toBe('failed');
  const { error } = outcome as { error: ColibriError };
  expect(error.code).toBe(code);
  return error;
}

describe('createDirectorySource', () => {
  it("reads <dir>/<tenant>.env in colibri's KEY='value' form; a missing file or null collection is no-bucket", async () => {
    await writeFile(join(directory, 'tenant-a.env'), "# demo\nZ='last'\nA='multi\nline'\n", { mode: 0o600 });
    const source = createDirectorySource({ directory });
    expect(source.kind).toBe('directory');
    const outcomes = await source.fetchMany([
      request('tenant-a'),
      request('tenant-b'),
      request('tenant-c', null),
    ]);
    expect(outcomes.get('tenant-a')).toEqual({
      kind: 'secrets',
      collectionId: null,
      variables: [
        ['A', 'multi\nline'],
        ['Z', 'last'],
      ],
    });
    expect(outcomes.get('tenant-b')).toEqual({ kind: 'no-bucket' });
    expect(outcomes.get('tenant-c')).toEqual({ kind: 'no-bucket' });
  });

  it('refuses a file readable by group or others, saying chmod 600', async () => {
    const file = join(directory, 'tenant-a.env');
    await writeFile(file, "A='1'\n");
    await chmod(file, 0o640);
    const error = expectFailed(
      (await createDirectorySource({ directory }).fetchMany([request('tenant-a')])).get('tenant-a'),
      'COLIBRI_SECRETS_UNSAFE',
    );
    expect(error.message).toContain('chmod 600');
  });

  it('refuses a symlink and a FIFO', async () => {
    const target = join(directory, 'elsewhere');
    await writeFile(target, "A='1'\n", { mode: 0o600 });
    await symlink(target, join(directory, 'tenant-a.env'));
    execFileSync('mkfifo', ['-m', '600', join(directory, 'tenant-b.env')]);
    const outcomes = await createDirectorySource({ directory }).fetchMany([
      request('tenant-a'),
      request('tenant-b'),
    ]);
    expectFailed(outcomes.get('tenant-a'), 'COLIBRI_SECRETS_UNSAFE');
    expectFailed(outcomes.get('tenant-b'), 'COLIBRI_SECRETS_UNSAFE');
  });

  it('refuses tenant ids that are not safe file names, and a malformed file', async () => {
    await writeFile(join(directory, 'tenant-a.env'), 'A=unquoted\n', { mode: 0o600 });
    const outcomes = await createDirectorySource({ directory }).fetchMany([
      request('../x'),
      request('tenant-a.env'),
      request('tenant-a'),
    ]);
    expectFailed(outcomes.get('../x'), 'COLIBRI_INVALID_NAME');
    expectFailed(outcomes.get('tenant-a.env'), 'COLIBRI_INVALID_NAME');
    expect(expectFailed(outcomes.get('tenant-a'), 'COLIBRI_SECRETS_MALFORMED').message).toContain('line 1');
  });

  it('refuses a relative directory', () => {
    expect(() => createDirectorySource({ directory: 'secrets' })).toThrow(/absolute/);
  });
});
