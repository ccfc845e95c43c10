import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ColibriError } from '@colibri/errors';
import { colibriPaths, defaultColibriHome } from '@colibri/protocol';
import type { StoreConfig } from '@colibri/store';
import {
  CONFIG_FILE_KEYS,
  type ConfigFileKey,
  type ConfigFileValues,
  defaultConfigFile,
  LOG_LEVELS,
  parseConfigFile,
} from './load-config-file.js';
import { formatDuration, parseDuration } from './parse-duration.js';
import { type ListenAddress, parseListenAddress } from './parse-listen-address.js';
import { resolveSpawnConfig, SPAWN_DRIVERS, type SpawnConfig } from './resolve-spawn-config.js';

export { LOG_LEVELS };
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the daemon's clocks run: liveness, leases and the sweeps. */
export interface Timing {
  /** An agent silent longer than this (plus the grace) goes offline. */
  readonly heartbeatTtlMs: number;
  /** Extra silence tolerated on top of the TTL, for slow tunnels. */
  readonly graceMs: number;
  /** How long an assignment holds without a heartbeat or poll from its agent. */
  readonly leaseMs: number;
  /** The slow safety sweep: resync the fleet from the store and re-examine every parked task. */
  readonly sweepIntervalMs: number;
}

/** What a task gets when its intake does not say (`--task-retries`, `--task-retry-backoff`). */
export interface TaskDefaults {
  /** Automatic retries of a task that asks for none; undefined = no retry policy (a failed handler ends it). */
  readonly retries: number | undefined;
  /** The first retry's backoff for a task that asks for retries without one (doubled per attempt). */
  readonly retryBackoffMs: number;
}

export const DEFAULT_TASK_DEFAULTS: TaskDefaults = Object.freeze({
  retries: undefined,
  retryBackoffMs: 10_000,
});

/** Everything colibrid needs, resolved once at start (flags > env > defaults). */
export interface DaemonConfig {
  readonly home: string;
  readonly socketPath: string;
  readonly store: StoreConfig;
  /** Additionally serve TCP on exactly this address. */
  readonly listen: ListenAddress | undefined;
  readonly timing: Timing;
  readonly taskDefaults: TaskDefaults;
  readonly logLevel: LogLevel;
  /** The spawn policy file (YAML or JSON); undefined = the default policy, which forbids every agent. */
  readonly spawnPolicyFile: string | undefined;
  /** How to spawn jailed agents; undefined = this colibrid has no spawner. Holds the vault credential: never log it. */
  readonly spawn: SpawnConfig | undefined;
  /** Host names `/mcp` accepts in Host/Origin besides localhost and the `--listen` address. */
  readonly mcpAllowedHosts: readonly string[];
  /** `--expire-after`: a task taken in without its own expiry expires if still parked this long; undefined = never. */
  readonly expireAfterMs: number | undefined;
  /** `--retain`: finished tasks older than this are pruned with their events; undefined = kept forever. */
  readonly retainMs: number | undefined;
}

/** What configuration reads from the process; main passes the real values. */
export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly uid: number;
  readonly homedir: string;
  readonly cwd: string;
  /**
   * Reads the config file: its text, or undefined when there is no such file (any other failure
   * throws). Absent = no config file is read (unit tests).
   */
  readonly readTextFile?: (path: string) => string | undefined;
}

/** Where a setting's effective value came from, as `--print-config` shows it. */
export type SettingOrigin =
  | { readonly kind: 'flag' }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'default' };

/** The outcome of reading argv: run, or just print help or the version. */
export type Invocation =
  | { readonly kind: 'run'; readonly config: DaemonConfig }
  | {
      readonly kind: 'print-config';
      readonly config: DaemonConfig;
      /** The config file read, or undefined when there was none. */
      readonly file: string | undefined;
      readonly origins: Readonly<Record<ConfigFileKey, SettingOrigin>>;
    }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

export const DEFAULT_TIMING: Timing = Object.freeze({
  heartbeatTtlMs: 30_000,
  graceMs: 15_000,
  leaseMs: 60_000,
  sweepIntervalMs: 30_000,
});

const OPTIONS = {
  home: { type: 'string' },
  socket: { type: 'string' },
  db: { type: 'string' },
  'database-url': { type: 'string' },
  'pg-prepared-statements': { type: 'string' },
  listen: { type: 'string' },
  'heartbeat-ttl': { type: 'string' },
  grace: { type: 'string' },
  lease: { type: 'string' },
  'sweep-interval': { type: 'string' },
  'task-retries': { type: 'string' },
  'task-retry-backoff': { type: 'string' },
  'expire-after': { type: 'string' },
  retain: { type: 'string' },
  'log-level': { type: 'string' },
  'mcp-allowed-hosts': { type: 'string' },
  'spawn-policy': { type: 'string' },
  'spawn-driver': { type: 'string' },
  'jail-root': { type: 'string' },
  'spawn-runtime-dir': { type: 'string' },
  'spawn-handlers': { type: 'string' },
  'spawn-daemon-url': { type: 'string' },
  source: { type: 'string' },
  'secrets-dir': { type: 'string' },
  'vault-server': { type: 'string' },
  'bastille-release': { type: 'string' },
  'bastille-ip': { type: 'string' },
  'bastille-packages': { type: 'string' },
  config: { type: 'string' },
  'print-config': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/**
 * The environment variables that stand for a setting. The store is one setting written two ways:
 * COLIBRI_DATABASE_URL in the environment beats a `db:` in the file, as it beats the default.
 */
const SETTING_ENV: Partial<Record<ConfigFileKey, readonly string[]>> = {
  home: ['COLIBRI_HOME'],
  db: ['COLIBRI_DATABASE_URL'],
  'database-url': ['COLIBRI_DATABASE_URL'],
  'pg-prepared-statements': ['COLIBRI_PG_PREPARED_STATEMENTS'],
  'log-level': ['COLIBRI_LOG_LEVEL'],
  'spawn-policy': ['COLIBRI_SPAWN_POLICY'],
  'spawn-driver': ['COLIBRI_SPAWN_DRIVER'],
  'jail-root': ['COLIBRI_JAIL_ROOT'],
  'spawn-runtime-dir': ['COLIBRI_SPAWN_RUNTIME_DIR'],
  'spawn-handlers': ['COLIBRI_SPAWN_HANDLERS'],
  'spawn-daemon-url': ['COLIBRI_SPAWN_DAEMON_URL'],
  'secrets-dir': ['COLIBRI_SECRETS_DIR'],
  'vault-server': ['COLIBRI_VAULT_SERVER'],
  'bastille-release': ['COLIBRI_BASTILLE_RELEASE'],
  'bastille-ip': ['COLIBRI_BASTILLE_IP'],
  'bastille-packages': ['COLIBRI_BASTILLE_PACKAGES'],
  'mcp-allowed-hosts': ['COLIBRI_MCP_ALLOWED_HOSTS'],
};

export const HELP = `colibrid: the colibri daemon. Serves the HTTP/JSON API on a Unix socket (and, when asked, one TCP
address), routes tasks to capable agents, parks what nobody can run yet, and re-queues the work of
agents that go silent.

Usage: colibrid [flags]

Flags win over environment variables, which win over the config file, which wins over defaults.
  --config FILE          the config file: YAML whose keys are the flag names below without the
                         leading -- (log-level: info, heartbeat-ttl: 30s, listen: 100.64.0.1:9190).
                         Env COLIBRI_CONFIG. Default /etc/colibri/colibrid.yaml
                         (/usr/local/etc/colibri/colibrid.yaml on FreeBSD), read when it exists.
                         Relative paths in it are relative to its directory. Never put the vault's
                         BW_* credentials in it: they come from the environment only.
  --print-config         print every setting's effective value and where it came from, then exit.
  --home DIR             state directory: database, socket, operator token. Env COLIBRI_HOME.
                         Default /var/db/colibri (root, FreeBSD), /var/lib/colibri (root, Linux),
                         else $XDG_STATE_HOME/colibri or ~/.local/state/colibri. Created 0700.
  --socket PATH          the Unix socket (mode 0660). Default $home/colibri.sock. A stale socket
                         is removed at start; if a live daemon answers on it, colibrid refuses to start.
  --db PATH              the SQLite database. Default $home/colibri.db.
  --database-url URL     use PostgreSQL instead (postgresql://…). Env COLIBRI_DATABASE_URL: prefer
                         it when the URL carries a password (every user can read argv).
  --pg-prepared-statements on|off  PostgreSQL: run repeated queries as named prepared statements,
                         parsed and planned once per connection. Default on; off behind a pooler
                         that cannot keep them (PgBouncer in transaction mode without
                         max_prepared_statements). Env COLIBRI_PG_PREPARED_STATEMENTS.
  --listen ADDR:PORT     also serve TCP on exactly this IP address, e.g. a tailnet address
                         100.64.0.1:9190. Never all interfaces unless you write 0.0.0.0.
  --heartbeat-ttl DUR    an agent silent this long (plus --grace) goes offline and its unfinished
                         tasks are re-queued. Default ${formatDuration(DEFAULT_TIMING.heartbeatTtlMs)}.
  --grace DUR            extra silence tolerated for slow tunnels. Default ${formatDuration(DEFAULT_TIMING.graceMs)}.
  --lease DUR            how long an assignment holds; heartbeats and polls renew it, and a task
                         whose lease lapses is re-queued with a new attempt. Default ${formatDuration(DEFAULT_TIMING.leaseMs)}.
  --sweep-interval DUR   the slow safety sweep (resync from the store, re-examine parked tasks).
                         Default ${formatDuration(DEFAULT_TIMING.sweepIntervalMs)}. Liveness and leases are checked
                         more often: every quarter of the shorter of TTL and lease (at most this).
  --task-retries N       automatic retries of a task whose intake asks for none (0-99): a failed
                         attempt goes back in line after its backoff until N retries are used, then
                         the task stays failed (the dead letter). Default: none, a failed handler
                         ends its task (an agent going offline still costs one of its 3 attempts).
  --task-retry-backoff DUR  the first retry's wait, doubled per attempt (at most 1h), for a task
                         that asks for retries without --retry-backoff. Default ${formatDuration(DEFAULT_TASK_DEFAULTS.retryBackoffMs)}.
  --expire-after DUR     a task still parked this long after intake expires (status expired, with
                         the reason nobody could take it). Applies to tasks taken in without their
                         own --expire-after. Default: off (parked tasks wait for as long as it takes).
  --retain DUR           prune finished tasks (done, failed, cancelled, expired) and their events
                         once they finished longer ago than this, e.g. 30d; in small batches that
                         never hold up dispatch. Unfinished tasks are never pruned. Default: off.
  --log-level LEVEL      ${LOG_LEVELS.join(', ')}. Env COLIBRI_LOG_LEVEL. Default info.
                         Logs are JSON lines on stdout; they never contain tokens or payloads.
  --mcp-allowed-hosts LIST  host names (comma-separated) that POST /mcp accepts in the Host and
                         Origin headers besides localhost and the --listen address, e.g. the tailnet
                         address a socat bridge forwards from. Env COLIBRI_MCP_ALLOWED_HOSTS.

Spawning jailed agents (POST /v1/spawn: "join the hive" run by colibrid, for the operator and for
mother agents the spawn policy allows; run colibrid as root on the jail host):
  --spawn-driver DRIVER  ${SPAWN_DRIVERS.join(' or ')}. Env COLIBRI_SPAWN_DRIVER. Without it colibrid
                         has no spawner and the spawn routes say so.
  --spawn-policy FILE    what mother agents may spawn (YAML or JSON: maxChildren, maxDepth,
                         allowedTenants, allowSharedLane, allowedCapabilities). Env
                         COLIBRI_SPAWN_POLICY. Default: every agent is refused (the operator
                         always may). Read and validated once at start.
  --jail-root PATH       linux: the allowed jail root (default /var/lib/colibri-jails); bastille: its prefix
                         (default /usr/local/bastille). Env COLIBRI_JAIL_ROOT.
  --spawn-runtime-dir DIR  linux: the colibri installation bound into jails (default: the one
                         colibrid runs from); bastille: the host cache of the pinned .pkg files.
                         Env COLIBRI_SPAWN_RUNTIME_DIR.
  --spawn-handlers DIR   task handlers visible read-only inside every jail. Env COLIBRI_SPAWN_HANDLERS.
  --spawn-daemon-url URL bastille: how a jail reaches colibrid (the bridge). Env COLIBRI_SPAWN_DAEMON_URL.
  --bastille-release REL bastille: the bootstrapped release jails are created from (14.3-RELEASE).
  --bastille-ip ADDR     bastille: each jail's address (default inherit).
  --bastille-packages LIST  bastille: pinned NAME@VERSION,… installed offline from the
                         --spawn-runtime-dir package cache (colibri@VERSION included).
  --secrets-dir DIR      take each tenant's secrets from DIR/<tenant>.env. Env COLIBRI_SECRETS_DIR.
  --vault-server URL     or from this Vaultwarden/Bitwarden server (env COLIBRI_VAULT_SERVER), with
                         BW_CLIENTID, BW_CLIENTSECRET and BW_PASSWORD read once from colibrid's
                         environment (never a flag). Neither: only tenants without a collection.
  --source bitwarden|directory  which of the two, when both are set in the environment.

  -h, --help             this text.
  -v, --version          print the version.

DUR is a number with a unit: 500ms, 30s, 2m, 1h, 30d (a bare number means seconds).

First start creates $home, the database and $home/operator.token (0600): the operator's bearer
token. Every request needs "Authorization: Bearer <token>":
  curl --unix-socket $home/colibri.sock -H "Authorization: Bearer $(cat $home/operator.token)" \\
       http://colibri/v1/status

SIGTERM or SIGINT stops gracefully (in-flight requests finish, long polls end); a second one forces.
`;

function invalid(message: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', message);
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function duration(flag: string, text: string | undefined, fallback: number, allowZero: boolean): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined)
    invalid(`--${flag} ${JSON.stringify(text)} is not a duration (use e.g. 500ms, 30s, 2m, 1h)`);
  if (ms < (allowZero ? 0 : 1)) invalid(`--${flag} must be more than 0`);
  if (ms > 7 * 24 * 3_600_000) invalid(`--${flag} ${text} is longer than 7 days`);
  return ms;
}

/** The longest `--expire-after` / `--retain`: ten years. */
const MAX_LIFETIME_MS = 10 * 366 * 86_400_000;

/** `--expire-after` / `--retain`: off when absent; otherwise a whole number of seconds, at least 1s. */
function lifetime(flag: string, text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === 'off') return undefined;
  const ms = parseDuration(text);
  if (ms === undefined)
    invalid(`--${flag} ${JSON.stringify(text)} is not a duration (use e.g. 30m, 12h, 30d, or off)`);
  if (ms < 1000) invalid(`--${flag} must be at least 1s (or off), not ${text}`);
  if (ms > MAX_LIFETIME_MS) invalid(`--${flag} ${text} is longer than 10 years`);
  return Math.round(ms / 1000) * 1000;
}

/**
 * Reads argv and the environment once into a frozen {@link DaemonConfig}. Throws
 * `COLIBRI_INVALID_INPUT` with a one-line message naming the flag for anything it cannot use.
 */
export function resolveConfig(argv: readonly string[], sources: ConfigSources): Invocation {
  let values: {
    -readonly [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
  };
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    invalid(`${(error as Error).message.replace(/\.$/, '')} (see colibrid --help)`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  // The config file is the layer under the environment: a file value is used only where neither
  // the flag nor one of the setting's environment variables is given.
  const { file, settings } = readConfigFile(values.config, sources);
  const origins = {} as Record<ConfigFileKey, SettingOrigin>;
  for (const key of CONFIG_FILE_KEYS) {
    const envName = (SETTING_ENV[key] ?? []).find((name) => nonEmpty(sources.env[name]) !== undefined);
    if (nonEmpty(values[key]) !== undefined) origins[key] = { kind: 'flag' };
    else if (envName !== undefined) origins[key] = { kind: 'env', name: envName };
    else if (settings[key] !== undefined && file !== undefined) {
      values[key] = settings[key];
      origins[key] = { kind: 'file', file };
    } else origins[key] = { kind: 'default' };
  }

  const at = (path: string) => (isAbsolute(path) ? path : resolve(sources.cwd, path));
  const home = at(
    nonEmpty(values.home) ??
      nonEmpty(sources.env.COLIBRI_HOME) ??
      defaultColibriHome({
        platform: sources.platform,
        uid: sources.uid,
        homedir: sources.homedir,
        xdgStateHome: nonEmpty(sources.env.XDG_STATE_HOME),
      }),
  );
  const paths = colibriPaths(home);
  if (values.socket !== undefined && nonEmpty(values.socket) === undefined)
    invalid('--socket must not be empty');
  const socketPath = at(nonEmpty(values.socket) ?? paths.socket);

  const dbFlag = nonEmpty(values.db);
  const urlFlag = nonEmpty(values['database-url']);
  if (dbFlag !== undefined && urlFlag !== undefined) {
    invalid('--db (SQLite) and --database-url (PostgreSQL) are mutually exclusive; pass one');
  }
  // A flag for either driver beats the environment's URL.
  const databaseUrl =
    dbFlag !== undefined ? undefined : (urlFlag ?? nonEmpty(sources.env.COLIBRI_DATABASE_URL));
  const preparedStatementsText =
    nonEmpty(values['pg-prepared-statements']) ?? nonEmpty(sources.env.COLIBRI_PG_PREPARED_STATEMENTS);
  if (preparedStatementsText !== undefined && !['on', 'off'].includes(preparedStatementsText)) {
    invalid(`--pg-prepared-statements must be on or off, not ${JSON.stringify(preparedStatementsText)}`);
  }
  const preparedStatements =
    preparedStatementsText === undefined ? undefined : preparedStatementsText === 'on';
  let store: StoreConfig;
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      invalid(
        `${urlFlag !== undefined ? '--database-url' : 'COLIBRI_DATABASE_URL'} must start with postgresql:// (got ${JSON.stringify(databaseUrl.split(':')[0])}:…)`,
      );
    }
    store = {
      driver: 'postgres',
      connectionString: databaseUrl,
      ...(preparedStatements === false ? { preparedStatements } : {}),
    };
  } else {
    // Only the flag is refused: an environment or config file shared by hosts on either store
    // must not stop a SQLite daemon.
    if (origins['pg-prepared-statements'].kind === 'flag')
      invalid('--pg-prepared-statements applies to PostgreSQL only: pass --database-url too, or drop it');
    store = { driver: 'sqlite', path: at(dbFlag ?? paths.database) };
  }

  let listen: ListenAddress | undefined;
  if (values.listen !== undefined) {
    const parsed = parseListenAddress(values.listen);
    if (typeof parsed === 'string') invalid(`--listen ${parsed}`);
    listen = parsed;
  }

  const timing: Timing = Object.freeze({
    heartbeatTtlMs: duration('heartbeat-ttl', values['heartbeat-ttl'], DEFAULT_TIMING.heartbeatTtlMs, false),
    graceMs: duration('grace', values.grace, DEFAULT_TIMING.graceMs, true),
    leaseMs: duration('lease', values.lease, DEFAULT_TIMING.leaseMs, false),
    sweepIntervalMs: duration(
      'sweep-interval',
      values['sweep-interval'],
      DEFAULT_TIMING.sweepIntervalMs,
      false,
    ),
  });

  const retriesText = nonEmpty(values['task-retries']);
  if (retriesText !== undefined && !/^\d{1,2}$/.test(retriesText)) {
    invalid(`--task-retries ${JSON.stringify(retriesText)} is not a whole number from 0 to 99`);
  }
  const retryBackoffMs = duration(
    'task-retry-backoff',
    values['task-retry-backoff'],
    DEFAULT_TASK_DEFAULTS.retryBackoffMs,
    true,
  );
  if (retryBackoffMs > 3_600_000) invalid('--task-retry-backoff must be at most 1h');
  const taskDefaults: TaskDefaults = Object.freeze({
    retries: retriesText === undefined ? undefined : Number(retriesText),
    retryBackoffMs,
  });
  const expireAfterMs = lifetime('expire-after', values['expire-after']);
  const retainMs = lifetime('retain', values.retain);

  const level = nonEmpty(values['log-level']) ?? nonEmpty(sources.env.COLIBRI_LOG_LEVEL) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    invalid(`--log-level ${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')}`);
  }

  const mcpHostsText =
    nonEmpty(values['mcp-allowed-hosts']) ?? nonEmpty(sources.env.COLIBRI_MCP_ALLOWED_HOSTS);
  const mcpAllowedHosts = (mcpHostsText ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  for (const host of mcpAllowedHosts) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})$/.test(host)) {
      invalid(
        `--mcp-allowed-hosts: ${JSON.stringify(host)} is not a host name (no port, no scheme; IPv6 in brackets)`,
      );
    }
  }

  const policyFile = nonEmpty(values['spawn-policy']) ?? nonEmpty(sources.env.COLIBRI_SPAWN_POLICY);
  const spawn = resolveSpawnConfig(values, sources.env, home, sources.cwd);

  const config: DaemonConfig = Object.freeze({
    home,
    socketPath,
    store,
    listen,
    timing,
    taskDefaults,
    logLevel: level as LogLevel,
    spawnPolicyFile: policyFile === undefined ? undefined : at(policyFile),
    spawn,
    mcpAllowedHosts: Object.freeze(mcpAllowedHosts),
    expireAfterMs,
    retainMs,
  });
  if (values['print-config']) return { kind: 'print-config', config, file, origins: Object.freeze(origins) };
  return { kind: 'run', config };
}

/**
 * `--config` > `COLIBRI_CONFIG` > the platform's default file. A file named by the flag or the
 * environment must exist; the default one is read only when it does.
 */
function readConfigFile(
  flag: string | undefined,
  sources: ConfigSources,
): { file: string | undefined; settings: ConfigFileValues } {
  const named = nonEmpty(flag) ?? nonEmpty(sources.env.COLIBRI_CONFIG);
  if (flag !== undefined && nonEmpty(flag) === undefined) invalid('--config must not be empty');
  if (sources.readTextFile === undefined) {
    if (named !== undefined) invalid(`--config ${named}: this colibrid cannot read files`);
    return { file: undefined, settings: {} };
  }
  const file =
    named === undefined
      ? defaultConfigFile(sources.platform)
      : isAbsolute(named)
        ? named
        : resolve(sources.cwd, named);
  const text = sources.readTextFile(file);
  if (text === undefined) {
    if (named === undefined) return { file: undefined, settings: {} };
    invalid(`${nonEmpty(flag) !== undefined ? '--config' : 'COLIBRI_CONFIG'} ${file}: no such file`);
  }
  return { file, settings: parseConfigFile(text, file) };
}
