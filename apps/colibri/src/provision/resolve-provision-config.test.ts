import type { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import {
  type ProvisionConfigSources,
  parseOwner,
  resolveProvisionConfig,
} from './resolve-provision-config.js';

const CREDS = { BW_CLIENTID: 'user.abc', BW_CLIENTSECRET: 'client-secret-1', BW_PASSWORD: 'master pw 2' };
const sources = (env: Record<string, string> = {}, overrides: Partial<ProvisionConfigSources> = {}) => ({
  env,
  cwd: '/work',
  home: '/var/lib/colibri',
  singleTenant: true,
  ...overrides,
});

function refused(run: () => unknown): ColibriError {
  try {
    run();
  } catch (error) {
    expect((error as ColibriError).code).toBe('COLIBRI_INVALID_INPUT');
    return error as ColibriError;
  }
  throw new Error('expected a refusal');
}

describe('resolveProvisionConfig', () => {
  it('bitwarden: server from --vault-server over COLIBRI_VAULT_SERVER, credentials from the env, appdata under home', () => {
    const config = resolveProvisionConfig(
      { 'vault-server': 'https://flag.example' },
      sources({ ...CREDS, COLIBRI_VAULT_SERVER: 'https://env.example', NODE_EXTRA_CA_CERTS: 'ca.pem' }),
    );
    expect(config).toEqual({
      source: {
        kind: 'bitwarden',
        serverUrl: 'https://flag.example',
        appDataDir: '/var/lib/colibri/bw',
        credentials: { clientId: 'user.abc', clientSecret: 'client-secret-1', masterPassword: 'master pw 2' },
        extraEnv: { NODE_EXTRA_CA_CERTS: '/work/ca.pem' },
      },
      layout: 'linux',
      jailRoot: '/var/lib/colibri-jails',
      jailHome: undefined,
      owner: undefined,
    });
    expect(
      resolveProvisionConfig({}, sources({ ...CREDS, COLIBRI_VAULT_SERVER: 'https://env.example' })).source,
    ).toMatchObject({ serverUrl: 'https://env.example', extraEnv: {} });
  });

  it('names the missing credential variables, and never echoes the ones that are set', () => {
    const error = refused(() =>
      resolveProvisionConfig(
        { 'vault-server': 'https://v' },
        sources({ BW_CLIENTID: 'user.abc', BW_CLIENTSECRET: 'client-secret-1' }),
      ),
    );
    expect(error.message).toContain('BW_PASSWORD is not set');
    expect(error.message).not.toContain('client-secret-1');
    expect(
      refused(() => resolveProvisionConfig({ 'vault-server': 'https://v' }, sources())).message,
    ).toContain('BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD are not set');
    expect(refused(() => resolveProvisionConfig({}, sources(CREDS))).message).toContain(
      'COLIBRI_VAULT_SERVER',
    );
  });

  it('directory: implied by --secrets-dir, from COLIBRI_SECRETS_DIR with --source directory; no credentials needed', () => {
    expect(resolveProvisionConfig({ 'secrets-dir': 'demo' }, sources()).source).toEqual({
      kind: 'directory',
      directory: '/work/demo',
    });
    expect(
      resolveProvisionConfig({ source: 'directory' }, sources({ COLIBRI_SECRETS_DIR: '/srv/secrets' }))
        .source,
    ).toEqual({ kind: 'directory', directory: '/srv/secrets' });
    refused(() => resolveProvisionConfig({ source: 'directory' }, sources()));
    refused(() =>
      resolveProvisionConfig(
        { source: 'bitwarden', 'secrets-dir': 'x', 'vault-server': 'https://v' },
        sources(CREDS),
      ),
    );
    refused(() => resolveProvisionConfig({ 'secrets-dir': 'x', 'vault-server': 'https://v' }, sources()));
  });

  it("the layout: --driver, else bastille on FreeBSD; bastille's jails directory is its default jail root", () => {
    const base = { 'secrets-dir': '/s' };
    expect(resolveProvisionConfig({ ...base, driver: 'bastille' }, sources())).toMatchObject({
      layout: 'bastille',
      jailRoot: '/usr/local/bastille/jails',
    });
    expect(resolveProvisionConfig(base, { ...sources(), platform: 'freebsd' })).toMatchObject({
      layout: 'bastille',
    });
    expect(resolveProvisionConfig(base, sources())).toMatchObject({ layout: 'linux' });
    expect(refused(() => resolveProvisionConfig({ ...base, driver: 'jail' }, sources())).message).toMatch(
      /--driver must be linux or bastille/,
    );
  });

  it('jail root: --jail-root > COLIBRI_JAIL_ROOT > /var/lib/colibri-jails; --jail-home only for one tenant; --owner parsed', () => {
    const base = { 'secrets-dir': '/s' };
    expect(
      resolveProvisionConfig({ ...base, 'jail-root': 'jails' }, sources({ COLIBRI_JAIL_ROOT: '/env' }))
        .jailRoot,
    ).toBe('/work/jails');
    expect(resolveProvisionConfig(base, sources({ COLIBRI_JAIL_ROOT: '/env' })).jailRoot).toBe('/env');
    expect(
      resolveProvisionConfig({ ...base, 'jail-home': '/j/a/home', owner: '1001:1002' }, sources()),
    ).toMatchObject({
      jailHome: '/j/a/home',
      owner: { uid: 1001, gid: 1002 },
    });
    refused(() =>
      resolveProvisionConfig({ ...base, 'jail-home': '/j' }, sources({}, { singleTenant: false })),
    );
  });
});

describe('parseOwner', () => {
  it('takes UID:GID and refuses anything else', () => {
    expect(parseOwner('0:0')).toEqual({ uid: 0, gid: 0 });
    for (const bad of ['1001', 'a:b', '-1:0', '1:2:3', '99999999999:0', '']) refused(() => parseOwner(bad));
  });
});
