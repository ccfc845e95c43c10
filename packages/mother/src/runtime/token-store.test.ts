import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileTokenStore } from './token-store.js';

const base = mkdtempSync(join(tmpdir(), 'colibri-token-store-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(base, `state-${n++}`);

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('fileTokenStore', () => {
  it('nothing stored yet: undefined, and the directory is not created by reading', async () => {
    const dir = fresh();
    expect(await fileTokenStore(dir).load()).toBeUndefined();
    expect(() => statSync(dir)).toThrow();
  });

  it('saves {agentId, token} 0600 in a 0700 directory and reads it back; a second save replaces it', async () => {
    const dir = join(fresh(), 'nested');
    const store = fileTokenStore(dir);
    await store.save({ agentId: 'a-1', token: 'secret-1' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'agent.json')).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual({ agentId: 'a-1', token: 'secret-1' });
    await store.save({ agentId: 'a-2', token: 'secret-2' });
    expect(JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8'))).toEqual({
      agentId: 'a-2',
      token: 'secret-2',
    });
    expect(readdirSync(dir)).toEqual(['agent.json']);
    expect(store.describe).toBe(join(dir, 'agent.json'));
  });

  it('tightens its own directory made with looser bits', async () => {
    const dir = fresh();
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await fileTokenStore(dir).save({ agentId: 'a', token: 't' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a readable file, a symlink, another owner, a non-directory and a malformed file', async () => {
    const loose = fresh();
    await fileTokenStore(loose).save({ agentId: 'a', token: 't' });
    chmodSync(join(loose, 'agent.json'), 0o644);
    let error = await failure(fileTokenStore(loose).load());
    expect(error.code).toBe('COLIBRI_UNSAFE_PATH');
    expect(error.message).toMatch(/agent\.json has mode 644: its token may have leaked: remove it/);

    const linked = fresh();
    mkdirSync(linked, { mode: 0o700 });
    writeFileSync(join(base, 'elsewhere.json'), '{"agentId":"a","token":"t"}', { mode: 0o600 });
    symlinkSync(join(base, 'elsewhere.json'), join(linked, 'agent.json'));
    error = await failure(fileTokenStore(linked).load());
    expect(error.code).toBe('COLIBRI_UNSAFE_PATH');
    expect(error.message).toMatch(/is not a regular file \(or is a symlink\)/);

    const foreign = fresh();
    await fileTokenStore(foreign).save({ agentId: 'a', token: 't' });
    chownSync(join(foreign, 'agent.json'), 4242, 4242);
    error = await failure(fileTokenStore(foreign).load());
    expect(error.message).toMatch(/owned by uid 4242, not by this agent/);
    // A store for another uid refuses the directory itself.
    error = await failure(fileTokenStore(foreign, { uid: 4242 }).load());
    expect(error.message).toMatch(/directory .* is owned by uid \d+, not by this agent \(uid 4242\)/);

    const notDir = join(base, 'a-file');
    writeFileSync(notDir, '');
    error = await failure(fileTokenStore(notDir).save({ agentId: 'a', token: 't' }));
    expect(error.code).toBe('COLIBRI_UNSAFE_PATH');
    expect(error.message).toMatch(/a-file is not a directory/);

    const malformed = fresh();
    mkdirSync(malformed, { mode: 0o700 });
    writeFileSync(join(malformed, 'agent.json'), '{"agentId": 3, "token": "s3cr3t-value"}', { mode: 0o600 });
    error = await failure(fileTokenStore(malformed).load());
    expect(error.code).toBe('COLIBRI_INVALID_INPUT');
    expect(error.message).toMatch(
      /is not \{"agentId": "…", "token": "…"\}: remove it and the agent registers again/,
    );
    expect(error.message).not.toContain('s3cr3t-value');
  });
});
