import { describe, expect, it } from 'vitest';
import { formatEffectiveConfig } from './format-effective-config.js';
import { defaultConfigFile, parseConfigFile } from './load-config-file.js';
import { type ConfigSources, resolveConfig } from './resolve-config.js';

const FILE = '/etc/colibri/colibrid.yaml';

function sources(files: Record<string, string>, env: Record<string, string> = {}): ConfigSources {
  return {
    env,
    platform: 'linux',
    uid: 0,
    homedir: '/root',
    cwd: '/work',
    readTextFile: (path) => files[path],
  };
}

function run(argv: string[], files: Record<string, string>, env: Record<string, string> = {}) {
  const invocation = resolveConfig(argv, sources(files, env));
  if (invocation.kind !== 'run') throw new Error(`expected run, got ${invocation.kind}`);
  return invocation.config;
}

function printed(argv: string[], files: Record<string, string>, env: Record<string, string> = {}) {
  const invocation = resolveConfig([...argv, '--print-config'], sources(files, env));
  if (invocation.kind !== 'print-config') throw new Error(`expected print-config, got ${invocation.kind}`);
  return invocation;
}

describe('the colibrid config file', () => {
  it('lives in /etc/colibri on Linux and /usr/local/etc/colibri on FreeBSD', () => {
    expect(defaultConfigFile('linux')).toBe('/etc/colibri/colibrid.yaml');
    expect(defaultConfigFile('freebsd')).toBe('/usr/local/etc/colibri/colibrid.yaml');
  });

  it('is read from the default place when it exists, and is no error when it does not', () => {
    expect(run([], { [FILE]: 'log-level: debug\nheartbeat-ttl: 1m\n' }).logLevel).toBe('debug');
    expect(run([], { [FILE]: 'heartbeat-ttl: 1m\n' }).timing.heartbeatTtlMs).toBe(60_000);
    expect(run([], {}).logLevel).toBe('info');
  });

  it('ranks flags > environment > file > defaults, setting by setting', () => {
    const files = { [FILE]: 'log-level: warn\nhome: /file/home\nlease: 90\n' };
    const env = { COLIBRI_LOG_LEVEL: 'error', COLIBRI_HOME: '/env/home' };
    expect(run([], files).logLevel).toBe('warn');
    expect(run([], files, env).logLevel).toBe('error');
    expect(run(['--log-level', 'trace'], files, env).logLevel).toBe('trace');
    expect(run([], files, env).home).toBe('/env/home');
    expect(run(['--home', '/flag/home'], files, env).home).toBe('/flag/home');
    expect(run([], files).timing.leaseMs).toBe(90_000);
    expect(run(['--lease', '2m'], files).timing.leaseMs).toBe(120_000);
  });

  it('lets COLIBRI_DATABASE_URL beat a db: in the file (the store is one setting)', () => {
    const pg = 'postgresql://colibri@db/colibri';
    const files = { [FILE]: 'db: /srv/colibri.db\n' };
    expect(run([], files).store).toEqual({ driver: 'sqlite', path: '/srv/colibri.db' });
    expect(run([], files, { COLIBRI_DATABASE_URL: pg }).store).toEqual({
      driver: 'postgres',
      connectionString: pg,
    });
  });

  it('reads pg-prepared-statements: off from the file (a YAML string, not a boolean)', () => {
    const pg = 'postgresql://colibri@db/colibri';
    const files = { [FILE]: `database-url: ${pg}\npg-prepared-statements: off\n` };
    expect(run([], files).store).toEqual({
      driver: 'postgres',
      connectionString: pg,
      preparedStatements: false,
    });
    expect(() => run([], { [FILE]: `database-url: ${pg}\npg-prepared-statements: false\n` })).toThrow(
      /colibrid\.yaml: pg-prepared-statements: must be on or off/,
    );
  });

  it('takes --config, else COLIBRI_CONFIG, and resolves relative paths in it against its directory', () => {
    const files = { '/srv/conf/c.yaml': 'home: state\nlog-level: warn\n', '/work/rel.yaml': 'grace: 5s\n' };
    expect(run(['--config', '/srv/conf/c.yaml'], files).home).toBe('/srv/conf/state');
    expect(run([], files, { COLIBRI_CONFIG: '/srv/conf/c.yaml' }).logLevel).toBe('warn');
    expect(run(['--config', 'rel.yaml'], files).timing.graceMs).toBe(5000);
  });

  it.each([
    [['--config', '/nope.yaml'], {}, {}, /--config \/nope\.yaml: no such file/],
    [[], {}, { COLIBRI_CONFIG: '/nope.yaml' }, /COLIBRI_CONFIG \/nope\.yaml: no such file/],
    [[], { [FILE]: 'log-level: loud\n' }, {}, /^\/etc\/colibri\/colibrid\.yaml: log-level: must be one of/],
    [[], { [FILE]: 'lease: soon\n' }, {}, /colibrid\.yaml: lease: must be a duration/],
    [[], { [FILE]: 'listen: 0.0.0.0\n' }, {}, /colibrid\.yaml: listen: "0\.0\.0\.0" is not ADDR:PORT/],
    [[], { [FILE]: 'heartbeat_ttl: 30s\n' }, {}, /colibrid\.yaml: unknown key "heartbeat_ttl"/],
    [[], { [FILE]: 'BW_PASSWORD: hunter2\n' }, {}, /colibrid\.yaml: unknown key "BW_PASSWORD"/],
    [[], { [FILE]: 'home: [a, b]\n' }, {}, /colibrid\.yaml: home: must be a string/],
    [[], { [FILE]: '- log-level\n' }, {}, /colibrid\.yaml: must be a mapping/],
    [[], { [FILE]: 'log-level: [\n' }, {}, /colibrid\.yaml: not valid YAML/],
    [[], { [FILE]: 'grace: 1s\ngrace: 2s\n' }, {}, /colibrid\.yaml: not valid YAML/],
    [[], { [FILE]: 'db: /a.db\ndatabase-url: postgresql://x/y\n' }, {}, /mutually exclusive/],
    [[], { [FILE]: 'spawn-driver: docker\n' }, {}, /colibrid\.yaml: spawn-driver: must be linux or bastille/],
  ])('refuses %j %j %j naming the file and key', (argv, files, env, message) => {
    expect(() => resolveConfig(argv, sources(files, env))).toThrow(message);
    try {
      resolveConfig(argv, sources(files, env));
    } catch (error) {
      expect((error as { code?: string }).code).toBe('COLIBRI_INVALID_INPUT');
    }
  });

  it('an empty file holds no settings', () => {
    expect(parseConfigFile('', FILE)).toEqual({});
    expect(parseConfigFile('# nothing yet\n', FILE)).toEqual({});
  });

  it('--print-config shows each effective value and where it came from, never a password', () => {
    const files = {
      [FILE]: 'log-level: warn\nlease: 90s\ndatabase-url: postgresql://colibri:s3cret@db/colibri\n',
    };
    const invocation = printed(['--grace', '1s'], files, { COLIBRI_HOME: '/env/home' });
    expect(invocation.file).toBe(FILE);
    expect(invocation.origins['log-level']).toEqual({ kind: 'file', file: FILE });
    expect(invocation.origins.grace).toEqual({ kind: 'flag' });
    expect(invocation.origins.home).toEqual({ kind: 'env', name: 'COLIBRI_HOME' });
    expect(invocation.origins['heartbeat-ttl']).toEqual({ kind: 'default' });
    const text = formatEffectiveConfig(invocation.config, invocation.file, invocation.origins);
    expect(text).toMatch(/^log-level +warn +\(file \/etc\/colibri\/colibrid\.yaml\)$/m);
    expect(text).toMatch(/^grace +1s +\(flag\)$/m);
    expect(text).toMatch(/^home +\/env\/home +\(env COLIBRI_HOME\)$/m);
    expect(text).toMatch(/^heartbeat-ttl +30s +\(default\)$/m);
    expect(text).toMatch(/^lease +1\.5m|^lease +90s/m);
    expect(text).toContain('postgresql://colibri:***@db/colibri');
    expect(text).not.toContain('s3cret');
  });
});
