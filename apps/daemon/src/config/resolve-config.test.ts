import { describe, expect, it } from 'vitest';
import {
  type ConfigSources,
  DEFAULT_TASK_DEFAULTS,
  DEFAULT_TIMING,
  HELP,
  resolveConfig,
} from './resolve-config.js';

const sources = (env: Record<string, string> = {}): ConfigSources => ({
  env,
  platform: 'linux',
  uid: 1000,
  homedir: '/home/ann',
  cwd: '/work',
});

function config(argv: string[], env: Record<string, string> = {}) {
  const invocation = resolveConfig(argv, sources(env));
  if (invocation.kind !== 'run') throw new Error(`expected run, got ${invocation.kind}`);
  return invocation.config;
}

describe('resolveConfig', () => {
  it('defaults to the platform home, its socket and SQLite database', () => {
    expect(config([])).toEqual({
      home: '/home/ann/.local/state/colibri',
      socketPath: '/home/ann/.local/state/colibri/colibri.sock',
      store: { driver: 'sqlite', path: '/home/ann/.local/state/colibri/colibri.db' },
      listen: undefined,
      timing: DEFAULT_TIMING,
      taskDefaults: DEFAULT_TASK_DEFAULTS,
      logLevel: 'info',
      spawnPolicyFile: undefined,
      spawn: undefined,
      mcpAllowedHosts: [],
    });
  });

  it('takes the task defaults: retries for intakes that ask for none, the first backoff', () => {
    expect(config(['--task-retries', '3', '--task-retry-backoff', '2m']).taskDefaults).toEqual({
      retries: 3,
      retryBackoffMs: 120_000,
    });
    expect(config(['--task-retries', '0']).taskDefaults.retries).toBe(0);
    expect(() => config(['--task-retries', 'x'])).toThrow(
      /--task-retries "x" is not a whole number from 0 to 99/,
    );
    expect(() => config(['--task-retries', '100'])).toThrow(/--task-retries/);
    expect(() => config(['--task-retry-backoff', 'soon'])).toThrow(
      /--task-retry-backoff "soon" is not a duration/,
    );
    expect(() => config(['--task-retry-backoff', '2h'])).toThrow(/--task-retry-backoff must be at most 1h/);
  });

  it('takes the host names /mcp accepts, refusing anything with a port or scheme', () => {
    expect(config(['--mcp-allowed-hosts', 'hub.tail.net, 100.64.0.1,[fd7a::1]']).mcpAllowedHosts).toEqual([
      'hub.tail.net',
      '100.64.0.1',
      '[fd7a::1]',
    ]);
    expect(config([], { COLIBRI_MCP_ALLOWED_HOSTS: 'hub' }).mcpAllowedHosts).toEqual(['hub']);
    expect(() => config(['--mcp-allowed-hosts', 'http://hub:9190'])).toThrow(/is not a host name/);
  });

  it('takes flags over the environment over defaults', () => {
    expect(config([], { COLIBRI_HOME: '/env/home' }).home).toBe('/env/home');
    expect(config(['--home', 'rel'], { COLIBRI_HOME: '/env/home' }).home).toBe('/work/rel');
    const pg = 'postgresql://colibri@db/colibri';
    expect(config([], { COLIBRI_DATABASE_URL: pg }).store).toEqual({
      driver: 'postgres',
      connectionString: pg,
    });
    expect(config(['--db', '/x.db'], { COLIBRI_DATABASE_URL: pg }).store).toEqual({
      driver: 'sqlite',
      path: '/x.db',
    });
    expect(config(['--database-url', pg]).store.driver).toBe('postgres');
    // Named prepared statements: on by default (not written), off by flag or environment.
    expect(config(['--database-url', pg, '--pg-prepared-statements', 'off']).store).toEqual({
      driver: 'postgres',
      connectionString: pg,
      preparedStatements: false,
    });
    expect(
      config([], { COLIBRI_DATABASE_URL: pg, COLIBRI_PG_PREPARED_STATEMENTS: 'off' }).store,
    ).toMatchObject({
      preparedStatements: false,
    });
    expect(
      config(['--pg-prepared-statements', 'on'], {
        COLIBRI_DATABASE_URL: pg,
        COLIBRI_PG_PREPARED_STATEMENTS: 'off',
      }).store,
    ).toEqual({ driver: 'postgres', connectionString: pg });
    expect(() => config(['--database-url', pg, '--pg-prepared-statements', 'no'])).toThrow(
      /--pg-prepared-statements must be on or off, not "no"/,
    );
    expect(() => config(['--pg-prepared-statements', 'off'])).toThrow(/applies to PostgreSQL only/);
    // From the environment (shared by hosts on either store) it is not a reason to refuse SQLite.
    expect(config(['--db', '/x.db'], { COLIBRI_PG_PREPARED_STATEMENTS: 'off' }).store).toEqual({
      driver: 'sqlite',
      path: '/x.db',
    });
    expect(config(['--log-level', 'warn'], { COLIBRI_LOG_LEVEL: 'debug' }).logLevel).toBe('warn');
    expect(config([], { COLIBRI_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('reads the socket, TCP address and durations', () => {
    const c = config([
      '--socket',
      '/run/colibri.sock',
      '--listen',
      '100.64.0.1:9190',
      '--heartbeat-ttl',
      '10s',
      '--grace',
      '0',
      '--lease',
      '2m',
      '--sweep-interval',
      '500ms',
    ]);
    expect(c.socketPath).toBe('/run/colibri.sock');
    expect(c.listen).toEqual({ host: '100.64.0.1', port: 9190 });
    expect(c.timing).toEqual({ heartbeatTtlMs: 10_000, graceMs: 0, leaseMs: 120_000, sweepIntervalMs: 500 });
  });

  it('--help says what the directory source reads: one <tenant>.env per tenant (tenant == jail == collection)', () => {
    expect(HELP).toMatch(/--secrets-dir DIR +take each tenant's secrets from DIR\/<tenant>\.env\./);
    expect(HELP).not.toContain('<collection>.env');
  });

  it('answers --help and --version without validating the rest', () => {
    expect(resolveConfig(['--help', '--lease', 'x'], sources()).kind).toBe('help');
    expect(resolveConfig(['-v'], sources()).kind).toBe('version');
  });

  it.each([
    [['--nope'], /Unknown option/],
    [['stray'], /positional/],
    [['--lease', '3x'], /--lease "3x" is not a duration/],
    [['--grace', '200h'], /longer than 7 days/],
    [['--socket', ' '], /--socket must not be empty/],
  ])('refuses %j with COLIBRI_INVALID_INPUT', (argv, message) => {
    expect(() => resolveConfig(argv, sources())).toThrow(message);
  });
});
