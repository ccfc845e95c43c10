import { isAbsolute, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { DEFAULT_LINUX_JAIL_ROOT } from '@colibri/spawner';
import { resolveVaultConfig, type VaultConfig } from '@colibri/vault/config';

/** The jail drivers colibrid can spawn with. */
export const SPAWN_DRIVERS = ['linux', 'bastille'] as const;
export type SpawnDriverName = (typeof SPAWN_DRIVERS)[number];

/**
 * Where the tenants' `.env` secrets come from when colibrid spawns an agent: resolved by the
 * vault's one resolver (`@colibri/vault/config`), as the CLI's provision-tenant and spawn-agent do.
 * The bootstrap credential lives on this host only (the orchestrator): read once at start from
 * colibrid's own environment, never from a flag, never handed to a jail. `none`: only tenants
 * without a collection (no bucket) can be spawned.
 */
export type SpawnVaultConfig = VaultConfig;

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
  readonly source?: string | undefined;
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
        'source',
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
    vault: resolveVaultConfig(flags, { env, cwd, home, program: 'colibrid', required: false }),
    bastille: kind === 'bastille' ? resolveBastille(flags, env) : undefined,
  });
}
