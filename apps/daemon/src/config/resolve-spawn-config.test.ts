import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { resolveSpawnConfig, type SpawnFlags } from './resolve-spawn-config.js';

const HOME = '/var/lib/colibri';
const resolve = (flags: SpawnFlags, env: Record<string, string> = {}) =>
  resolveSpawnConfig(flags, env, HOME, '/work');

function refusal(flags: SpawnFlags, env: Record<string, string> = {}): string {
  try {
    resolve(flags, env);
  } catch (error) {
    if (isColibriError(error, 'COLIBRI_INVALID_INPUT')) return error.message;
    throw error;
  }
  throw new Error('expected COLIBRI_INVALID_INPUT');
}

const BW = { BW_CLIENTID: 'user.1', BW_CLIENTSECRET: 'secret-value', BW_PASSWORD: 'master-value' };

describe('resolveSpawnConfig', () => {
  it('no driver: no spawner; a spawn flag without one is refused', () => {
    expect(resolve({})).toBeUndefined();
    expect(resolve({}, { COLIBRI_SECRETS_DIR: '/s', COLIBRI_JAIL_ROOT: '/j' })).toBeUndefined();
    expect(refusal({ 'jail-root': '/j' })).toBe(
      '--jail-root configures spawning: pass --spawn-driver linux|bastille with it',
    );
    expect(refusal({ 'secrets-dir': '/s' })).toMatch(/^--secrets-dir configures spawning/);
  });

  it('linux: defaults (jail root /var/lib/colibri-jails), flags over the environment, relative paths from cwd', () => {
    expect(resolve({ 'spawn-driver': 'linux' })).toEqual({
      driver: 'linux',
      jailRoot: '/var/lib/colibri-jails',
      runtimeDir: undefined,
      handlersDir: undefined,
      daemonUrl: undefined,
      vault: { kind: 'none' },
      bastille: undefined,
    });
    const config = resolve(
      { 'jail-root': 'jails', 'spawn-handlers': 'handlers', 'secrets-dir': 'secrets' },
      {
        COLIBRI_SPAWN_DRIVER: 'linux',
        COLIBRI_JAIL_ROOT: '/env/jails',
        COLIBRI_SPAWN_RUNTIME_DIR: '/opt/colibri',
      },
    );
    expect(config).toMatchObject({
      jailRoot: '/work/jails',
      handlersDir: '/work/handlers',
      runtimeDir: '/opt/colibri',
      vault: { kind: 'directory', directory: '/work/secrets' },
    });
    expect(refusal({ 'spawn-driver': 'docker' })).toBe(
      '--spawn-driver "docker" is not one of linux, bastille',
    );
    expect(refusal({ 'spawn-driver': 'linux', 'spawn-daemon-url': 'http://x:1' })).toMatch(/is for bastille/);
    expect(refusal({ 'spawn-driver': 'linux', 'bastille-release': '14.3-RELEASE' })).toMatch(
      /--bastille-release is for --spawn-driver bastille/,
    );
  });

  it('bitwarden: the server from a flag or the environment, the credentials only from the environment', () => {
    const config = resolve(
      { 'spawn-driver': 'linux' },
      { ...BW, COLIBRI_VAULT_SERVER: 'https://vault.example.org', NODE_EXTRA_CA_CERTS: 'ca.pem' },
    );
    expect(config?.vault).toEqual({
      kind: 'bitwarden',
      serverUrl: 'https://vault.example.org',
      appDataDir: '/var/lib/colibri/bw',
      credentials: { clientId: 'user.1', clientSecret: 'secret-value', masterPassword: 'master-value' },
      extraEnv: { NODE_EXTRA_CA_CERTS: '/work/ca.pem' },
    });
    const missing = refusal(
      { 'spawn-driver': 'linux', 'vault-server': 'https://vault.example.org' },
      { BW_CLIENTID: 'user.1' },
    );
    expect(missing).toMatch(/BW_CLIENTSECRET, BW_PASSWORD are not set/);
    expect(refusal({ 'spawn-driver': 'linux', 'vault-server': 'https://v', 'secrets-dir': '/s' })).toMatch(
      /two secret sources/,
    );
  });

  it('bastille: needs the bridge URL, the release, the package cache and the pinned packages', () => {
    const flags: SpawnFlags = {
      'spawn-driver': 'bastille',
      'spawn-daemon-url': 'http://100.64.0.1:9190',
      'spawn-runtime-dir': '/var/cache/colibri/pkg',
      'bastille-release': '14.3-RELEASE',
      'bastille-packages': 'node20@20.20.2,colibri@0.1.0',
    };
    expect(resolve(flags)).toMatchObject({
      driver: 'bastille',
      jailRoot: '/usr/local/bastille',
      daemonUrl: 'http://100.64.0.1:9190',
      bastille: {
        release: '14.3-RELEASE',
        address: 'inherit',
        packages: [
          { name: 'node20', version: '20.20.2' },
          { name: 'colibri', version: '0.1.0' },
        ],
      },
    });
    expect(refusal({ ...flags, 'spawn-daemon-url': undefined })).toMatch(/needs --spawn-daemon-url/);
    expect(refusal({ ...flags, 'spawn-daemon-url': 'ftp://x' })).toMatch(/is not an http\(s\) URL/);
    expect(refusal({ ...flags, 'spawn-runtime-dir': undefined })).toMatch(/needs --spawn-runtime-dir/);
    expect(refusal({ ...flags, 'bastille-release': undefined })).toMatch(/needs --bastille-release/);
    expect(refusal({ ...flags, 'bastille-packages': 'node20@20.20.2' })).toMatch(/must include colibri/);
    expect(refusal({ ...flags, 'bastille-packages': 'colibri' })).toMatch(/is not NAME@VERSION/);
  });
});
