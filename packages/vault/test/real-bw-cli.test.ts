// The Bitwarden source against the REAL pinned bw CLI, without a vault server: what bw does
// locally (version, status, config server) and how colibri reacts when the server cannot be
// reached or is not the configured one. Each bw call boots Node and a 3.7 MB bundle (1.5-4 s).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColibriError } from '@colibri/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBitwardenSource, type ProgressEvent } from '../src/index.js';

const CREDENTIALS = {
  clientId: 'user.5d3b4f7e-1111-4111-8111-111111111111',
  clientSecret: 'real-bw-test-client-secret',
  masterPassword: 'real-bw-test-master-password',
};
// Port 1 on loopback: nothing listens, so every request is refused at once.
const UNREACHABLE = 'https://127.0.0.1:1';

describe('createBitwardenSource with the real bw', () => {
  let base: string;
  let appDataDir: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'colibri-real-bw-'));
    appDataDir = join(base, 'bw');
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('on a fresh appdata dir: version check, configures the server, then fails closed when login cannot reach it', async () => {
    const events: ProgressEvent[] = [];
    const source = createBitwardenSource({ serverUrl: UNREACHABLE, appDataDir, credentials: CREDENTIALS });
    const outcome = (
      await source.fetchMany(
        [{ tenantId: 'tenant-a', collectionName: 'tenant-a', cachedCollectionId: null }],
        (e) => events.push(e),
      )
    ).get('tenant-a');
    expect(outcome?.kind).toBe('failed');
    const error = (outcome as { error: ColibriError }).error;
    expect(error.code).toBe('COLIBRI_VAULT_LOGIN_FAILED');
    const text = `${error.message} ${JSON.stringify(error.details)}`;
    for (const secret of Object.values(CREDENTIALS)) expect(text).not.toContain(secret);
    const steps = events.flatMap((e) => (e.kind === 'vault-step' ? [`${e.step}:${e.ok}`] : []));
    expect(steps).toEqual(['version:true', 'status:true', 'configure:true', 'status:true', 'login:false']);
    expect((await stat(appDataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(appDataDir, 'data.json'))).mode & 0o077).toBe(0);
  });

  it('the same appdata dir with another configured server: COLIBRI_VAULT_SERVER_MISMATCH, nothing reconfigured', async () => {
    const source = createBitwardenSource({
      serverUrl: 'https://127.0.0.2:1',
      appDataDir,
      credentials: CREDENTIALS,
    });
    const outcome = (
      await source.fetchMany([{ tenantId: 'tenant-a', collectionName: 'tenant-a', cachedCollectionId: null }])
    ).get('tenant-a');
    const error = (outcome as { error: ColibriError }).error;
    expect(error.code).toBe('COLIBRI_VAULT_SERVER_MISMATCH');
    expect(error.details).toMatchObject({ reported: UNREACHABLE, expected: 'https://127.0.0.2:1' });
  });
});
