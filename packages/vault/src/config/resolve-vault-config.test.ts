import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { resolveVaultConfig, type VaultConfigSources, type VaultFlags } from './resolve-vault-config.js';

const CREDS = { BW_CLIENTID: 'user.abc', BW_CLIENTSECRET: 'client-secret-1', BW_PASSWORD: 'master pw 2' };
const sources = (
  env: Record<string, string> = {},
  overrides: Partial<VaultConfigSources> = {},
): VaultConfigSources => ({
  env,
  cwd: '/work',
  home: '/var/lib/colibri',
  program: 'colibri',
  required: true,
  ...overrides,
});

function refusal(flags: VaultFlags, from: VaultConfigSources): ColibriError {
  try {
    resolveVaultConfig(flags, from);
  } catch (error) {
    expect(error).toBeInstanceOf(ColibriError);
    expect((error as ColibriError).code).toBe('COLIBRI_INVALID_INPUT');
    return error as ColibriError;
  }
  throw new Error('expected a refusal');
}

describe('resolveVaultConfig', () => {
  it('bitwarden: --vault-server over COLIBRI_VAULT_SERVER, credentials from the env, appdata under home', () => {
    expect(
      resolveVaultConfig(
        { 'vault-server': 'https://flag.example' },
        sources({ ...CREDS, COLIBRI_VAULT_SERVER: 'https://env.example', NODE_EXTRA_CA_CERTS: 'ca.pem' }),
      ),
    ).toEqual({
      kind: 'bitwarden',
      serverUrl: 'https://flag.example',
      appDataDir: '/var/lib/colibri/bw',
      credentials: { clientId: 'user.abc', clientSecret: 'client-secret-1', masterPassword: 'master pw 2' },
      extraEnv: { NODE_EXTRA_CA_CERTS: '/work/ca.pem' },
    });
    expect(
      resolveVaultConfig({}, sources({ ...CREDS, COLIBRI_VAULT_SERVER: 'https://env.example' })),
    ).toMatchObject({
      kind: 'bitwarden',
      serverUrl: 'https://env.example',
      extraEnv: {},
    });
  });

  it('names the missing credential variables and the program, never a value that is set', () => {
    const error = refusal(
      { 'vault-server': 'https://v' },
      sources({ BW_CLIENTID: 'user.abc', BW_CLIENTSECRET: 'client-secret-1' }, { program: 'colibrid' }),
    );
    expect(error.message).toContain("needs its credentials in colibrid's environment");
    expect(error.message).toContain('BW_PASSWORD is not set');
    expect(error.message).not.toContain('client-secret-1');
    expect(error.details).toEqual({ flag: 'vault-server' });
    expect(refusal({ 'vault-server': 'https://v' }, sources()).message).toContain(
      'BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD are not set',
    );
  });

  it('directory: implied by --secrets-dir or COLIBRI_SECRETS_DIR, or chosen with --source; no credentials needed', () => {
    expect(resolveVaultConfig({ 'secrets-dir': 'demo' }, sources())).toEqual({
      kind: 'directory',
      directory: '/work/demo',
    });
    expect(resolveVaultConfig({}, sources({ COLIBRI_SECRETS_DIR: '/srv/secrets' }))).toEqual({
      kind: 'directory',
      directory: '/srv/secrets',
    });
    expect(
      resolveVaultConfig({ source: 'directory' }, sources({ COLIBRI_SECRETS_DIR: '/srv/secrets' })),
    ).toEqual({ kind: 'directory', directory: '/srv/secrets' });
    expect(refusal({ source: 'directory' }, sources()).message).toContain('pass --secrets-dir');
  });

  it('--source picks between two configured sources; two named at once are refused', () => {
    const both = {
      ...CREDS,
      COLIBRI_SECRETS_DIR: '/srv/secrets',
      COLIBRI_VAULT_SERVER: 'https://env.example',
    };
    expect(resolveVaultConfig({ source: 'bitwarden' }, sources(both))).toMatchObject({ kind: 'bitwarden' });
    expect(resolveVaultConfig({ source: 'directory' }, sources(both))).toMatchObject({ kind: 'directory' });
    expect(refusal({}, sources(both)).message).toContain('pass --source bitwarden or --source directory');
    // A flag beats the other source's environment variable.
    expect(resolveVaultConfig({ 'secrets-dir': '/d' }, sources(both))).toMatchObject({ kind: 'directory' });
    expect(resolveVaultConfig({ 'vault-server': 'https://f' }, sources(both))).toMatchObject({
      kind: 'bitwarden',
      serverUrl: 'https://f',
    });
    expect(refusal({ 'secrets-dir': '/d', 'vault-server': 'https://v' }, sources(CREDS)).message).toContain(
      'two secret sources',
    );
    expect(refusal({ source: 'bitwarden', 'secrets-dir': 'x' }, sources(CREDS)).details).toEqual({
      flag: 'secrets-dir',
    });
    expect(refusal({ source: 'directory', 'vault-server': 'https://v' }, sources()).details).toEqual({
      flag: 'vault-server',
    });
    expect(refusal({ source: 'docker' }, sources()).message).toContain(
      '--source must be bitwarden or directory',
    );
  });

  it('nothing configured: an error saying how when a source is required, else none', () => {
    expect(refusal({}, sources(CREDS)).message).toContain('pass --vault-server');
    expect(resolveVaultConfig({}, sources(CREDS, { required: false }))).toEqual({ kind: 'none' });
    expect(refusal({ source: 'bitwarden' }, sources(CREDS, { required: false })).message).toContain(
      'no vault server',
    );
  });
});
