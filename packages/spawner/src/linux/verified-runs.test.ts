import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileIdentity, VERIFIED_RUNS_FILE, verifiedRuns } from './verified-runs.js';

const TTL = 60_000;
const facts = { boot: 'b1', tools: { bwrap: '/usr/bin/bwrap 1:2' }, settings: { network: 'none' } };

describe('verifiedRuns', () => {
  let root: string;
  let clock: number;
  const now = () => clock;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'colibri-verified-'));
    clock = Date.parse('2026-12-02T06:00:00.000Z');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('trusts a passed run only with exactly the same facts, of the same kind, within the TTL', async () => {
    const runs = verifiedRuns(root, TTL, now);
    expect(await runs.passed('trial-sandbox', facts)).toBeUndefined();
    await runs.remember('trial-sandbox', facts);
    expect(await runs.passed('trial-sandbox', facts)).toBe('2026-12-02T06:00:00.000Z');
    // Key order does not matter; any value does.
    expect(
      await runs.passed('trial-sandbox', { settings: { network: 'none' }, tools: facts.tools, boot: 'b1' }),
    ).toBe('2026-12-02T06:00:00.000Z');
    expect(await runs.passed('trial-sandbox', { ...facts, boot: 'b2' })).toBeUndefined();
    expect(
      await runs.passed('trial-sandbox', { ...facts, tools: { bwrap: '/usr/bin/bwrap 1:3' } }),
    ).toBeUndefined();
    expect(await runs.passed('runtime-version', facts)).toBeUndefined();
    clock += TTL;
    expect(await runs.passed('trial-sandbox', facts)).toBeUndefined();
  });

  it('remembers nothing with a TTL of 0', async () => {
    const runs = verifiedRuns(root, 0, now);
    await runs.remember('trial-sandbox', facts);
    expect(await runs.passed('trial-sandbox', facts)).toBeUndefined();
  });

  it('ignores a record others could write, a symlink, or garbage (the run simply runs)', async () => {
    const runs = verifiedRuns(root, TTL, now);
    await runs.remember('trial-sandbox', facts);
    const file = join(root, VERIFIED_RUNS_FILE);
    await chmod(file, 0o644);
    expect(await runs.passed('trial-sandbox', facts)).toBeUndefined();
    await chmod(file, 0o600);
    expect(await runs.passed('trial-sandbox', facts)).toBeDefined();

    const elsewhere = await mkdtemp(join(tmpdir(), 'colibri-verified-planted-'));
    try {
      const planted = verifiedRuns(elsewhere, TTL, now);
      await planted.remember('trial-sandbox', facts);
      await rm(file);
      await symlink(join(elsewhere, VERIFIED_RUNS_FILE), file);
      expect(await runs.passed('trial-sandbox', facts)).toBeUndefined();
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    await rm(file);
    await writeFile(file, '{"format":1,"runs":', { mode: 0o600 });
    expect(await runs.passed('trial-sandbox', facts)).toBeUndefined();
    // And a write replaces it.
    await runs.remember('trial-sandbox', facts);
    expect(await runs.passed('trial-sandbox', facts)).toBeDefined();
  });
});

describe('fileIdentity', () => {
  it('changes when the file is rewritten or re-permissioned, not when it is only read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'colibri-identity-'));
    try {
      const file = join(dir, 'run.js');
      await writeFile(file, 'one');
      const first = await fileIdentity(file);
      expect(await fileIdentity(file)).toBe(first);
      await chmod(file, 0o600);
      const chmodded = await fileIdentity(file);
      expect(chmodded).not.toBe(first);
      await writeFile(file, 'two');
      expect(await fileIdentity(file)).not.toBe(chmodded);
      expect(await fileIdentity(join(dir, 'gone'))).toBe(`${join(dir, 'gone')} ENOENT`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
