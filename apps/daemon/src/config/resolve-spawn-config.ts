import { isAbsolute, join, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { DEFAULT_LINUX_JAIL_ROOT } from '@colibri/spawner';

/** The jail drivers colibrid can spawn with. */
export const SPAWN_DRIVERS = ['linux', 'bastille'] as const;
export type SpawnDriverName = (typeof SPAWN_DRIVERS)[number];

/**
 * Where the tenants' `.env` secrets come from when colibrid spawns an agent. The bootstrap
 * credential lives on this host only (the orchestrator): read once at start from colibrid's own
 * environment, never from a flag (argv is world-readable), never handed to a jail.
 */
export type SpawnVaultConfig =
  /** No vault configured: only tenants without a collection (no bucket) can be spawned. */
  | { readonly kind: 'none' }
  /** `<directory>/<tenant>.env` files (development, demos). */
  | { readonly kind: 'directory'; readonly directory: string }
  | {
      readonly kind: 'bitwarden';
      readonly serverUrl: string;
      /** bw's state directory, `$home/bw` (shared with the CLI's provision-tenant; the vault locks it). */
      readonly appDataDir: string;
      readonly credentials: {
        readonly clientId: string;
        readonly clientSecret: string;
        readonly masterPassword: string;
      };
      /** NODE_EXTRA_CA_CERTS when set: a private CA for the vault server. */
      readonly extraEnv: Readonly<Record<string, string>>;
    };

/** How colibrid spawns jailed agents (`POST /v1/spawn`); absent when no `--spawn-driver` is given. */
export interface SpawnConfig {
  readonly driver: SpawnDriverName;
  /** linux: the allowed jail root (default `/var/lib/colibri-jails`); bastille: bastille's prefix (default /usr/local/bastille). */
  readonly jailRoot: string;
  /** The colibri installation bound (linux) into jails; undefined = the one this colibrid runs from. */
  readonly runtimeDir: string | undefined;
  /** A host directory of task handlers, visible read-only inside each jail. */
  readonly handlersDir: string | undefined;
  /** bastille: how a jail reaches colibrid (the tailnet bridge URL). linux uses colibrid's own socket. */
  readonly daemonUrl: string | undefined;
  readonly vault: SpawnVaultConfig;
  /** bastille only: what `bastille create` and the offline package install need. */
  readonly bastille: BastilleSpawnConfig | undefined;
}

/** The bastille driver's own settings (`--spawn-runtime-dir` is then the host package cache). */
export interface BastilleSpawnConfig {
  /** The bootstrapped release every jail is created from, e.g. `14.3-RELEASE`. */
  readonly release: string;
  /** The address each jail is created with: `inherit` (default) or one IP (then one jail only). */
  readonly address: string;
  /** The pinned packages installed offline into each jail; `colibri`'s version is the runtime's. */
  readonly packages: readonly { readonly name: string; readonly version: string }[];
}

/** The spawn flags as parsed (absent = undefined). */
export interface SpawnFlags {
  readonly 'spawn-driver'?: string | undefined;
  readonly 'jail-root'?: string | undefined;
  readonly 'spawn-runtime-dir'?: string | undefined;
  readonly 'spawn-handlers'?: string | undefined;
  readonly 'spawn-daemon-url'?: string | undefined;
  readonly 'secrets-dir'?: string | undefined;
  readonly 'vault-server'?: string | undefined;
  readonly 'bastille-release'?: string | undefined;
  readonly 'bastille-ip'?: string | undefined;
  readonly 'bastille-packages'?: string | undefined;
}

/** `name@version,…`, e.g. `node20@20.20.2,colibri@0.1.0`; it must include colibri. */
function parsePackages(text: string): { name: string; version: string }[] {
  const packages = text.split(',').map((item) => {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.+-]{0,63})@([0-9A-Za-z][0-9A-Za-z.+_,-]{0,63})$/.exec(
      item.trim(),
    );
    if (match === null) {
      return invalid(
        `--bastille-packages ${JSON.stringify(item.trim())} is not NAME@VERSION (e.g. node20@20.20.2,colibri@0.1.0)`,
        'bastille-packages',
      );
    }
    return { name: match[1] as string, version: match[2] as string };
  });
  if (!packages.some((pkg) => pkg.name === 'colibri')) {
    invalid('--bastille-packages must include colibri@VERSION: it is the agent runtime', 'bastille-packages');
  }
  return packages;
}

function resolveBastille(
  flags: SpawnFlags,
  env: Readonly<Record<string, string | undefined>>,
): BastilleSpawnConfig {
  const release = nonEmpty(flags['bastille-release']) ?? nonEmpty(env.COLIBRI_BASTILLE_RELEASE);
  if (release === undefined) {
    return invalid(
      '--spawn-driver bastille needs --bastille-release (the bootstrapped release jails are created from, e.g. 14.3-RELEASE)',
      'bastille-release',
    );
  }
  const packages = nonEmpty(flags['bastille-packages']) ?? nonEmpty(env.COLIBRI_BASTILLE_PACKAGES);
  if (packages === undefined) {
    return invalid(
      '--spawn-driver bastille needs --bastille-packages NAME@VERSION,… (the pinned packages in the --spawn-runtime-dir cache, colibri included)',
      'bastille-packages',
    );
  }
  return {
    release,
    address: nonEmpty(flags['bastille-ip']) ?? nonEmpty(env.COLIBRI_BASTILLE_IP) ?? 'inherit',
    packages: parsePackages(packages),
  };
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function invalid(message: string, flag: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', message, { flag });
}

/** The vault source: `--secrets-dir`/COLIBRI_SECRETS_DIR, else Bitwarden when a server is named, else none. */
function resolveVault(
  flags: SpawnFlags,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  at: (path: string) => string,
): SpawnVaultConfig {
  const directory = nonEmpty(flags['secrets-dir']) ?? nonEmpty(env.COLIBRI_SECRETS_DIR);
  const serverFlag = nonEmpty(flags['vault-server']);
  if (directory !== undefined) {
    if (serverFlag !== undefined) {
      return invalid('--secrets-dir and --vault-server are two secret sources; pass one', 'vault-server');
    }
    return { kind: 'directory', directory: at(directory) };
  }
  const serverUrl = serverFlag ?? nonEmpty(env.COLIBRI_VAULT_SERVER);
  if (serverUrl === undefined) return { kind: 'none' };
  const clientId = nonEmpty(env.BW_CLIENTID);
  const clientSecret = nonEmpty(env.BW_CLIENTSECRET);
  const masterPassword = env.BW_PASSWORD === '' ? undefined : env.BW_PASSWORD;
  if (clientId === undefined || clientSecret === undefined || masterPassword === undefined) {
    const missing = [
      clientId === undefined ? 'BW_CLIENTID' : undefined,
      clientSecret === undefined ? 'BW_CLIENTSECRET' : undefined,
      masterPassword === undefined ? 'BW_PASSWORD' : undefined,
    ].filter((name) => name !== undefined);
    return invalid(
      `the vault server ${serverUrl} needs its credentials in colibrid's environment, and ${missing.join(', ')} ` +
        `${missing.length === 1 ? 'is' : 'are'} not set: export the service-account user's personal API key ` +
        '(BW_CLIENTID=user.…, BW_CLIENTSECRET) and its master password (BW_PASSWORD) before starting colibrid',
      'vault-server',
    );
  }
  const caCerts = nonEmpty(env.NODE_EXTRA_CA_CERTS);
  return {
    kind: 'bitwarden',
    serverUrl,
    appDataDir: join(home, 'bw'),
    credentials: { clientId, clientSecret, masterPassword },
    extraEnv: caCerts === undefined ? {} : { NODE_EXTRA_CA_CERTS: at(caCerts) },
  };
}

/**
 * Resolves the spawn configuration once (flags > environment > defaults). Undefined when no driver
 * is configured: the spawn routes then say how to start colibrid with one. Any other spawn flag
 * without a driver is refused, so a half-configured spawner never starts silently disabled.
 */
export function resolveSpawnConfig(
  flags: SpawnFlags,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  cwd: string,
): SpawnConfig | undefined {
  const at = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  const driver = nonEmpty(flags['spawn-driver']) ?? nonEmpty(env.COLIBRI_SPAWN_DRIVER);
  if (driver === undefined) {
    const stray = (
      [
        'jail-root',
        'spawn-runtime-dir',
        'spawn-handlers',
        'spawn-daemon-url',
        'secrets-dir',
        'vault-server',
        'bastille-release',
        'bastille-ip',
        'bastille-packages',
      ] as const
    ).find((flag) => nonEmpty(flags[flag]) !== undefined);
    if (stray !== undefined) {
      invalid(`--${stray} configures spawning: pass --spawn-driver linux|bastille with it`, stray);
    }
    return undefined;
  }
  if (!(SPAWN_DRIVERS as readonly string[]).includes(driver)) {
    invalid(
      `--spawn-driver ${JSON.stringify(driver)} is not one of ${SPAWN_DRIVERS.join(', ')}`,
      'spawn-driver',
    );
  }
  const kind = driver as SpawnDriverName;
  const jailRoot = at(
    nonEmpty(flags['jail-root']) ??
      nonEmpty(env.COLIBRI_JAIL_ROOT) ??
      (kind === 'linux' ? DEFAULT_LINUX_JAIL_ROOT : '/usr/local/bastille'),
  );
  const runtimeDir = nonEmpty(flags['spawn-runtime-dir']) ?? nonEmpty(env.COLIBRI_SPAWN_RUNTIME_DIR);
  const handlersDir = nonEmpty(flags['spawn-handlers']) ?? nonEmpty(env.COLIBRI_SPAWN_HANDLERS);
  const daemonUrl = nonEmpty(flags['spawn-daemon-url']) ?? nonEmpty(env.COLIBRI_SPAWN_DAEMON_URL);
  if (daemonUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(daemonUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '') {
      invalid(
        `--spawn-daemon-url ${JSON.stringify(daemonUrl)} is not an http(s) URL without credentials (e.g. http://100.64.0.1:9190)`,
        'spawn-daemon-url',
      );
    }
  }
  if (kind === 'bastille' && daemonUrl === undefined) {
    invalid(
      '--spawn-driver bastille needs --spawn-daemon-url: how an agent inside a jail reaches colibrid (the bridge address, e.g. http://100.64.0.1:9190)',
      'spawn-daemon-url',
    );
  }
  if (kind === 'bastille' && runtimeDir === undefined) {
    invalid(
      '--spawn-driver bastille needs --spawn-runtime-dir: the host directory holding the pinned .pkg files installed into each jail',
      'spawn-runtime-dir',
    );
  }
  const bastilleFlag = (['bastille-release', 'bastille-ip', 'bastille-packages'] as const).find(
    (flag) => nonEmpty(flags[flag]) !== undefined,
  );
  if (kind === 'linux' && bastilleFlag !== undefined) {
    invalid(`--${bastilleFlag} is for --spawn-driver bastille`, bastilleFlag);
  }
  if (kind === 'linux' && daemonUrl !== undefined) {
    invalid(
      '--spawn-daemon-url is for bastille: a linux jail reaches colibrid through its own socket, proxied into the sandbox',
      'spawn-daemon-url',
    );
  }
  return Object.freeze({
    driver: kind,
    jailRoot,
    runtimeDir: runtimeDir === undefined ? undefined : at(runtimeDir),
    handlersDir: handlersDir === undefined ? undefined : at(handlersDir),
    daemonUrl,
    vault: resolveVault(flags, env, home, at),
    bastille: kind === 'bastille' ? resolveBastille(flags, env) : undefined,
  });
}
