import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentSecrets } from './load-agent-secrets.js';

// The tests chown files to another uid, so they run as root (as this project's test machines do).
const AGENT_UID = 12345;
let dir: string;
let envFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colibri-secrets-'));
  envFile = join(dir, '.env');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeEnv(path: string, text: string, mode: number, uid = AGENT_UID) {
  writeFileSync(path, text, { mode });
  // chown clears set-id bits, so the mode goes last.
  chownSync(path, uid, uid);
  chmodSync(path, mode);
}

async function refusal(options: { envFile: string; expectedUid: number }) {
  const error = await loadAgentSecrets(options).catch((caught: unknown) => caught);
  if (!isColibriError(error, 'COLIBRI_SECRETS_UNSAFE'))
    throw new Error(`expected COLIBRI_SECRETS_UNSAFE, got ${String(error)}`);
  return error;
}

describe('loadAgentSecrets', () => {
  it('loads a 0600 regular file owned by the agent', async () => {
    writeEnv(envFile, "OPENROUTER_API_KEY='sk-or-v1-abc'\nMULTI='a\nb'\n", 0o600);
    await expect(loadAgentSecrets({ envFile, expectedUid: AGENT_UID })).resolves.toEqual({
      present: true,
      variables: { OPENROUTER_API_KEY: 'sk-or-v1-abc', MULTI: 'a\nb' },
    });
  });

  it('also accepts 0400 (owner read-only)', async () => {
    writeEnv(envFile, "A='1'\n", 0o400);
    await expect(loadAgentSecrets({ envFile, expectedUid: AGENT_UID })).resolves.toEqual({
      present: true,
      variables: { A: '1' },
    });
  });

  it('no .env at all is fine (a tenant without a bucket)', async () => {
    await expect(loadAgentSecrets({ envFile, expectedUid: AGENT_UID })).resolves.toEqual({ present: false });
  });

  it.each(['644', '640', '604', '660', '606', '700', '4600'])('refuses mode 0%s', async (octal) => {
    const mode = Number.parseInt(octal, 8);
    writeEnv(envFile, "A='s3cr3t'\n", mode);
    const error = await refusal({ envFile, expectedUid: AGENT_UID });
    expect(error.details).toEqual({ envFile, reason: 'mode' });
    expect(error.message).toBe(
      `refusing to start: ${envFile} has mode 0${mode.toString(8)}; it must be 0600 (owner read/write only, no ` +
        'group or other bits): chmod 600 it, and rotate its secrets if others may have read them',
    );
  });

  it('refuses a file owned by another uid', async () => {
    writeEnv(envFile, "A='s3cr3t'\n", 0o600, 4242);
    const error = await refusal({ envFile, expectedUid: AGENT_UID });
    expect(error.details).toEqual({ envFile, reason: 'owner' });
    expect(error.message).toContain(`is owned by uid 4242, not by this agent (uid ${AGENT_UID})`);
  });

  it('refuses a symlink, even to a well-formed file the agent owns', async () => {
    const target = join(dir, 'real.env');
    writeEnv(target, "A='s3cr3t'\n", 0o600);
    symlinkSync(target, envFile);
    const error = await refusal({ envFile, expectedUid: AGENT_UID });
    expect(error.details).toEqual({ envFile, reason: 'symlink' });
    expect(error.message).toContain('is a symbolic link');
  });

  it('refuses a dangling symlink rather than treating it as "no .env"', async () => {
    symlinkSync(join(dir, 'nowhere'), envFile);
    expect((await refusal({ envFile, expectedUid: AGENT_UID })).details).toEqual({
      envFile,
      reason: 'symlink',
    });
  });

  it('refuses a directory', async () => {
    mkdirSync(envFile, { mode: 0o700 });
    chownSync(envFile, AGENT_UID, AGENT_UID);
    const error = await refusal({ envFile, expectedUid: AGENT_UID });
    expect(error.details).toEqual({ envFile, reason: 'not-regular' });
    expect(error.message).toBe(
      `refusing to start: ${envFile} is a directory, not a regular file: remove it and re-provision`,
    );
  });

  it('refuses a named pipe without opening it (which could block)', async () => {
    execFileSync('mkfifo', ['-m', '600', envFile]);
    chownSync(envFile, AGENT_UID, AGENT_UID);
    const error = await refusal({ envFile, expectedUid: AGENT_UID });
    expect(error.message).toContain('is a named pipe, not a regular file');
  });

  it('a malformed file fails naming the line, never the value', async () => {
    writeEnv(envFile, "A='ok'\nB=s3cr3t value\n", 0o600);
    const error = await loadAgentSecrets({ envFile, expectedUid: AGENT_UID }).catch(
      (caught: unknown) => caught,
    );
    expect(isColibriError(error, 'COLIBRI_SECRETS_MALFORMED')).toBe(true);
    expect((error as Error).message).toBe(
      `${envFile} line 2: the value of B is not in single quotes: write B='...'`,
    );
  });
});
