import type { RuntimeFileSystem } from '@colibri/spawner';
import { describe, expect, it } from 'vitest';
import {
  resolveDriverConfig,
  resolveSpawnConfig,
  type SpawnAgentFlags,
  type SpawnConfigSources,
} from './resolve-spawn-config.js';

/** The installation at /opt/colibri (a workspace checkout of CLI 0.3.0) and a copy at /srv/copy. */
const files: Record<string, string> = {
  '/opt/colibri/pnpm-workspace.yaml': '',
  '/opt/colibri/apps/colibri/bin/run.js': '',
  '/opt/colibri/apps/colibri/package.json': '{"name":"@colibri/cli","version":"0.3.0"}',
  '/srv/copy/node_modules/@colibri/cli/bin/run.js': '',
  '/srv/copy/node_modules/@colibri/cli/package.json': '{"name":"@colibri/cli","version":"0.3.0"}',
};
const fs: RuntimeFileSystem = {
  exists: (path) => Object.hasOwn(files, path),
  readText: (path) => files[path] ?? '',
};

const sources = (change: Partial<SpawnConfigSources> = {}): SpawnConfigSources => ({
  env: { COLIBRI_SECRETS_DIR: '/root/secrets' },
  cwd: '/srv',
  home: '/var/lib/colibri',
  platform: 'linux',
  target: { kind: 'socket', socketPath: '/var/lib/colibri/colibri.sock' },
  cliRoot: '/opt/colibri/apps/colibri',
  version: '0.3.0',
  fs,
  ...change,
});

const resolve = (name: string, flags: SpawnAgentFlags, change: Partial<SpawnConfigSources> = {}) =>
  resolveSpawnConfig(name, { jail: true, source: 'directory', ...flags }, sources(change));

function failure(call: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    call();
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a failure');
}

describe('resolveSpawnConfig', () => {
  it('linux defaults: tenant = name, this installation, this socket, /var/lib/colibri-jails, no network', () => {
    expect(resolve('acme', {})).toEqual({
      agentName: 'acme',
      tenant: 'acme',
      capabilities: null,
      handlersDir: undefined,
      driver: { kind: 'linux', jailRoot: '/var/lib/colibri-jails', network: 'none' },
      runtime: { version: '0.3.0', root: '/opt/colibri', entry: '/opt/colibri/apps/colibri/bin/run.js' },
      daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
      registrationTimeoutMs: 60_000,
      joinTokenTtlSeconds: 600,
      vault: { kind: 'directory', directory: '/root/secrets' },
    });
  });

  it('flags win: tenant, tags, handlers, jail root, network, timeout, daemon URL', () => {
    const config = resolve('acme-agent', {
      tenant: 'acme',
      capabilities: 'linux, echo',
      handlers: 'handlers',
      'jail-root': 'jails',
      network: 'host',
      'registration-timeout': 3,
      'join-token-ttl': 120,
      'daemon-url': 'http://127.0.0.1:9190/',
    });
    expect(config).toMatchObject({
      agentName: 'acme-agent',
      tenant: 'acme',
      capabilities: ['linux', 'echo'],
      handlersDir: '/srv/handlers',
      driver: { kind: 'linux', jailRoot: '/srv/jails', network: 'host' },
      daemon: { url: 'http://127.0.0.1:9190' },
      registrationTimeoutMs: 3000,
      joinTokenTtlSeconds: 120,
    });
    expect(resolve('a', {}, { env: { COLIBRI_JAIL_ROOT: '/j', COLIBRI_SECRETS_DIR: '/s' } }).driver).toEqual({
      kind: 'linux',
      jailRoot: '/j',
      network: 'none',
    });
    expect(resolve('a', {}, { target: { kind: 'url', url: 'http://10.0.0.1:9190' } }).daemon).toEqual({
      url: 'http://10.0.0.1:9190',
    });
  });

  it('--tmp-size caps the sandbox tmpfs in MiB; absent, the driver default applies', () => {
    expect(resolve('acme', { 'tmp-size': 8 }).driver).toEqual({
      kind: 'linux',
      jailRoot: '/var/lib/colibri-jails',
      network: 'none',
      tmpfsSizeBytes: 8 * 1024 * 1024,
    });
    expect(resolve('acme', {}).driver).not.toHaveProperty('tmpfsSizeBytes');
  });

  it('--runtime-dir: another installation of this version, relative to the working directory', () => {
    expect(resolve('a', { 'runtime-dir': 'copy' }).runtime).toEqual({
      version: '0.3.0',
      root: '/srv/copy',
      entry: '/srv/copy/node_modules/@colibri/cli/bin/run.js',
    });
    expect(failure(() => resolve('a', { 'runtime-dir': 'copy' }, { version: '0.4.0' }))).toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringMatching(/^--runtime-dir \/srv\/copy holds colibri 0\.3\.0 .*pinned to 0\.4\.0/),
    });
    expect(failure(() => resolve('a', { 'runtime-dir': '/empty' })).message).toMatch(
      /^--runtime-dir \/empty holds no colibri CLI \(looked for /,
    );
  });

  it('bad names are refused before anything: COLIBRI_INVALID_NAME', () => {
    for (const [name, tenant] of [
      ['acme', '../x'],
      ['acme', 'ALL'],
      ['acme', 'all'],
      ['Acme', undefined],
    ] as const) {
      expect(failure(() => resolve(name, tenant === undefined ? {} : { tenant })).code).toBe(
        'COLIBRI_INVALID_NAME',
      );
    }
  });

  it('--jail is required, with a clear reason', () => {
    const error = failure(() => resolveSpawnConfig('acme', {}, sources()));
    expect(error.code).toBe('COLIBRI_INVALID_INPUT');
    expect(error.message).toMatch(/pass --jail .*not supported in this version/);
  });

  it('driver flags must fit the driver', () => {
    expect(failure(() => resolve('a', { release: '14.3-RELEASE' })).message).toBe(
      '--release only applies to --driver bastille',
    );
    expect(failure(() => resolve('a', { 'package-cache': '/c' })).message).toMatch(
      /only applies to --driver bastille/,
    );
    expect(failure(() => resolve('a', { driver: 'bastille', 'jail-root': '/j' })).message).toBe(
      '--jail-root only applies to --driver linux',
    );
    expect(
      failure(() =>
        resolve('a', { driver: 'bastille', 'tmp-size': 8, release: '14.3-RELEASE', ip: '10.0.0.2' }),
      ).message,
    ).toBe('--tmp-size only applies to --driver linux');
    expect(failure(() => resolve('a', { 'daemon-url': 'ftp://x' })).message).toMatch(
      /http:\/\/ or https:\/\//,
    );
    expect(failure(() => resolve('a', { 'daemon-url': 'http://u:p@x' })).message).toMatch(/credentials/);
    expect(failure(() => resolve('a', {}, { platform: 'darwin' })).message).toMatch(
      /no jail driver for darwin/,
    );
  });

  it('bastille: the default on FreeBSD; needs --release, --ip and --daemon-url; the runtime is the installed CLI', () => {
    expect(failure(() => resolve('a', {}, { platform: 'freebsd' })).message).toMatch(/--release .* and --ip/);
    expect(
      failure(() => resolve('a', { release: '14.3-RELEASE', ip: '10.0.0.5' }, { platform: 'freebsd' }))
        .message,
    ).toMatch(/pass --daemon-url/);
    const config = resolve(
      'a',
      {
        release: '14.3-RELEASE',
        ip: '10.0.0.5',
        'daemon-url': 'http://10.0.0.1:9190',
        'runtime-packages': 'node20@20.20.2, colibri@0.3.0',
      },
      { platform: 'freebsd' },
    );
    expect(config.driver).toEqual({
      kind: 'bastille',
      prefix: undefined,
      release: '14.3-RELEASE',
      ip: '10.0.0.5',
    });
    expect(config.runtime).toEqual({
      version: '0.3.0',
      entry: '/usr/local/bin/colibri',
      packageCache: '/var/cache/colibri/packages',
      packages: [
        { name: 'node20', version: '20.20.2' },
        { name: 'colibri', version: '0.3.0' },
      ],
    });
    expect(
      failure(() =>
        resolve('a', {
          driver: 'bastille',
          release: 'r',
          ip: 'i',
          'daemon-url': 'http://x',
          'runtime-packages': 'node20',
        }),
      ).message,
    ).toMatch(/NAME@VERSION/);
  });

  it('the vault source is resolved like provision-tenant: credentials from the environment only', () => {
    const error = failure(() =>
      resolveSpawnConfig(
        'acme',
        { jail: true, 'vault-server': 'https://vault.example' },
        sources({ env: {} }),
      ),
    );
    expect(error.message).toMatch(/BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD are not set/);
    const config = resolveSpawnConfig(
      'acme',
      { jail: true },
      sources({
        env: {
          COLIBRI_VAULT_SERVER: 'https://vault.example',
          BW_CLIENTID: 'user.x',
          BW_CLIENTSECRET: 's',
          BW_PASSWORD: 'p',
        },
      }),
    );
    expect(config.vault).toMatchObject({
      kind: 'bitwarden',
      serverUrl: 'https://vault.example',
      appDataDir: '/var/lib/colibri/bw',
    });
  });
});

describe('resolveDriverConfig for destroy', () => {
  it('bastille needs no release or address to destroy', () => {
    expect(resolveDriverConfig({ driver: 'bastille' }, sources(), 'destroy')).toMatchObject({
      kind: 'bastille',
    });
  });
});
