import type { ConfigFileKey } from './load-config-file.js';
import { formatDuration } from './parse-duration.js';
import type { DaemonConfig, SettingOrigin } from './resolve-config.js';

/** A PostgreSQL URL without its password: `--print-config` output may be pasted anywhere. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function origin(from: SettingOrigin): string {
  switch (from.kind) {
    case 'flag':
      return 'flag';
    case 'env':
      return `env ${from.name}`;
    case 'file':
      return `file ${from.file}`;
    default:
      return 'default';
  }
}

/** Each setting's effective value, as colibrid will use it. */
function effectiveValues(config: DaemonConfig): Record<ConfigFileKey, string> {
  const spawn = config.spawn;
  const none = spawn === undefined ? '(no spawner)' : '(none)';
  const vault = spawn?.vault;
  return {
    home: config.home,
    socket: config.socketPath,
    db: config.store.driver === 'sqlite' ? config.store.path : '(PostgreSQL instead)',
    'database-url':
      config.store.driver === 'postgres' ? redactUrl(config.store.connectionString) : '(SQLite instead)',
    'pg-prepared-statements':
      config.store.driver === 'postgres'
        ? config.store.preparedStatements === false
          ? 'off'
          : 'on'
        : '(SQLite instead)',
    listen: config.listen === undefined ? '(socket only)' : `${config.listen.host}:${config.listen.port}`,
    'heartbeat-ttl': formatDuration(config.timing.heartbeatTtlMs),
    grace: formatDuration(config.timing.graceMs),
    lease: formatDuration(config.timing.leaseMs),
    'sweep-interval': formatDuration(config.timing.sweepIntervalMs),
    'task-retries':
      config.taskDefaults.retries === undefined
        ? '(none: a failed handler ends its task)'
        : String(config.taskDefaults.retries),
    'task-retry-backoff': formatDuration(config.taskDefaults.retryBackoffMs),
    'expire-after': config.expireAfterMs === undefined ? 'off' : formatDuration(config.expireAfterMs),
    retain: config.retainMs === undefined ? 'off' : formatDuration(config.retainMs),
    'log-level': config.logLevel,
    'spawn-policy': config.spawnPolicyFile ?? '(default: every agent refused)',
    'spawn-driver': spawn?.driver ?? '(no spawner)',
    'jail-root': spawn?.jailRoot ?? none,
    'spawn-runtime-dir': spawn === undefined ? none : (spawn.runtimeDir ?? '(this installation)'),
    'spawn-handlers': spawn?.handlersDir ?? none,
    'spawn-daemon-url': spawn?.daemonUrl ?? none,
    source: vault === undefined || vault.kind === 'none' ? none : vault.kind,
    'secrets-dir': vault?.kind === 'directory' ? vault.directory : none,
    'vault-server': vault?.kind === 'bitwarden' ? vault.serverUrl : none,
    'bastille-release': spawn?.bastille?.release ?? none,
    'bastille-ip': spawn?.bastille?.address ?? none,
    'bastille-packages':
      spawn?.bastille === undefined
        ? none
        : spawn.bastille.packages.map((p) => `${p.name}@${p.version}`).join(','),
    'mcp-allowed-hosts':
      config.mcpAllowedHosts.length === 0
        ? '(localhost and --listen only)'
        : config.mcpAllowedHosts.join(','),
  };
}

/**
 * `colibrid --print-config`: one line per setting, `key  value  (origin)`, in the order the file
 * and `--help` use; a secret never appears (a database URL's password is masked, the vault's
 * credentials are not settings at all).
 */
export function formatEffectiveConfig(
  config: DaemonConfig,
  file: string | undefined,
  origins: Readonly<Record<ConfigFileKey, SettingOrigin>>,
): string {
  const values = effectiveValues(config);
  const keys = Object.keys(values) as ConfigFileKey[];
  const width = Math.max(...keys.map((key) => key.length));
  const valueWidth = Math.min(60, Math.max(...keys.map((key) => values[key].length)));
  const lines = keys.map(
    (key) => `${key.padEnd(width)}  ${values[key].padEnd(valueWidth)}  (${origin(origins[key])})`,
  );
  const header = `# colibrid settings: flag > env > file > default; config file: ${file ?? '(none read)'}`;
  return `${[header, ...lines].join('\n')}\n`;
}
