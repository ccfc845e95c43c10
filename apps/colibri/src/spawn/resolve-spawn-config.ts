import { isAbsolute, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { parseAgentName, parseTenantName } from '@colibri/protocol';
import {
  type AgentRuntime,
  type DaemonEndpoint,
  DEFAULT_LINUX_JAIL_ROOT,
  locateColibriRuntime,
  type RuntimeFileSystem,
} from '@colibri/spawner';
import { parseCapabilityList } from '../parse-capability-list.js';
import { type ProvisionSourceConfig, resolveProvisionConfig } from '../provision/resolve-provision-config.js';
import type { DaemonTarget } from '../resolve-config.js';

/** The jail driver and what it needs, resolved. */
export type DriverConfig =
  | {
      readonly kind: 'linux';
      readonly jailRoot: string;
      readonly network: 'none' | 'host';
      /** The cap of the sandbox's /tmp and /dev/shm; undefined = the driver's default (64 MiB). */
      readonly tmpfsSizeBytes?: number;
    }
  | {
      readonly kind: 'bastille';
      /** Bastille's prefix; undefined = the driver's default (/usr/local/bastille). */
      readonly prefix: string | undefined;
      readonly release: string;
      /** The jail's address for `bastille create`. */
      readonly ip: string;
    };

/** The flags that pick and configure the driver, shared by spawn-agent and destroy-agent. */
export interface DriverFlags {
  readonly driver?: string | undefined;
  readonly 'jail-root'?: string | undefined;
  readonly network?: string | undefined;
  readonly 'bastille-prefix'?: string | undefined;
  readonly release?: string | undefined;
  readonly ip?: string | undefined;
}

/** `colibri spawn-agent`'s own flags, as parsed (absent = undefined). */
export interface SpawnAgentFlags extends DriverFlags {
  readonly jail?: boolean | undefined;
  readonly tenant?: string | undefined;
  readonly capabilities?: string | undefined;
  readonly 'runtime-dir'?: string | undefined;
  readonly handlers?: string | undefined;
  readonly 'registration-timeout'?: number | undefined;
  readonly 'join-token-ttl'?: number | undefined;
  readonly 'daemon-url'?: string | undefined;
  readonly 'tmp-size'?: number | undefined;
  readonly 'package-cache'?: string | undefined;
  readonly 'runtime-packages'?: string | undefined;
  readonly source?: string | undefined;
  readonly 'secrets-dir'?: string | undefined;
  readonly 'vault-server'?: string | undefined;
}

/** What resolution reads besides the flags; the command passes the real values. */
export interface SpawnConfigSources {
  /** COLIBRI_JAIL_ROOT and the vault variables (see resolveProvisionConfig). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** COLIBRI_HOME, absolute. */
  readonly home: string;
  readonly platform: NodeJS.Platform;
  /** Where this CLI reaches colibrid (its resolved --socket / --url). */
  readonly target: DaemonTarget;
  /** This CLI's package directory and version: the linux runtime is this installation. */
  readonly cliRoot: string;
  readonly version: string;
  /** What locating the linux runtime reads; tests pass a stand-in. */
  readonly fs?: RuntimeFileSystem;
}

/** Everything `spawn-agent` needs, resolved once: flags > environment > defaults. */
export interface SpawnAgentConfig {
  readonly agentName: string;
  readonly tenant: string;
  readonly capabilities: readonly string[] | null;
  readonly handlersDir: string | undefined;
  readonly driver: DriverConfig;
  readonly runtime: AgentRuntime;
  readonly daemon: DaemonEndpoint;
  readonly registrationTimeoutMs: number;
  readonly joinTokenTtlSeconds: number;
  readonly vault: ProvisionSourceConfig;
}

/** Where a bastille jail's runtime is installed from, and the CLI inside it. */
export const BASTILLE_RUNTIME_DEFAULTS = Object.freeze({
  entry: '/usr/local/bin/colibri',
  packageCache: '/var/cache/colibri/packages',
});

const given = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function invalid(message: string, flag: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', message, { flag });
}

function absolute(cwd: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}

/** `http(s)://host:port` without credentials: what the agent inside dials. */
export function parseDaemonUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return invalid(
      `--daemon-url ${JSON.stringify(input)} is not a URL; use e.g. http://100.64.0.1:9190`,
      'daemon-url',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return invalid(`--daemon-url must be http:// or https://, got ${url.protocol}`, 'daemon-url');
  }
  if (url.username !== '' || url.password !== '') {
    return invalid(
      '--daemon-url must not carry credentials: the agent authenticates with its own token',
      'daemon-url',
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** `name@version,name@version` → the pinned packages of a bastille runtime. */
export function parseRuntimePackages(input: string): { name: string; version: string }[] {
  return input
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^([A-Za-z0-9][A-Za-z0-9._+-]*)@([0-9A-Za-z][0-9A-Za-z._,+-]*)$/.exec(part);
      if (match === null) {
        return invalid(
          `--runtime-packages: ${JSON.stringify(part)} is not NAME@VERSION (e.g. node20@20.20.2)`,
          'runtime-packages',
        );
      }
      return { name: match[1] as string, version: match[2] as string };
    });
}

/**
 * The driver: `--driver` > bastille on FreeBSD, linux on Linux. linux: the jail root is
 * `--jail-root` > COLIBRI_JAIL_ROOT > `/var/lib/colibri-jails`, the network `--network` (default none).
 * bastille: `--bastille-prefix`, `--release` and `--ip` (the last two needed to create a jail).
 */
export function resolveDriverConfig(
  flags: DriverFlags,
  sources: Pick<SpawnConfigSources, 'env' | 'cwd' | 'home' | 'platform'>,
  purpose: 'spawn' | 'destroy',
): DriverConfig {
  const kind =
    given(flags.driver) ??
    (sources.platform === 'freebsd' ? 'bastille' : sources.platform === 'linux' ? 'linux' : undefined);
  if (kind === undefined) {
    return invalid(
      `no jail driver for ${sources.platform}: pass --driver linux or --driver bastille`,
      'driver',
    );
  }
  if (kind === 'linux') {
    for (const flag of ['release', 'ip', 'bastille-prefix'] as const) {
      if (given(flags[flag]) !== undefined) invalid(`--${flag} only applies to --driver bastille`, flag);
    }
    const network = given(flags.network) ?? 'none';
    if (network !== 'none' && network !== 'host') {
      return invalid(`--network must be none or host, got ${JSON.stringify(network)}`, 'network');
    }
    const jailRoot =
      given(flags['jail-root']) ?? given(sources.env.COLIBRI_JAIL_ROOT) ?? DEFAULT_LINUX_JAIL_ROOT;
    return { kind, jailRoot: absolute(sources.cwd, jailRoot), network };
  }
  if (kind !== 'bastille') {
    return invalid(`--driver must be linux or bastille, got ${JSON.stringify(kind)}`, 'driver');
  }
  for (const flag of ['jail-root', 'network'] as const) {
    if (given(flags[flag]) !== undefined) invalid(`--${flag} only applies to --driver linux`, flag);
  }
  const prefix = given(flags['bastille-prefix']);
  const release = given(flags.release);
  const ip = given(flags.ip);
  if (purpose === 'spawn' && (release === undefined || ip === undefined)) {
    return invalid(
      'a bastille jail is created from a pinned release at an address: pass --release (e.g. 14.3-RELEASE) and --ip',
      release === undefined ? 'release' : 'ip',
    );
  }
  return {
    kind,
    prefix: prefix === undefined ? undefined : absolute(sources.cwd, prefix),
    // destroy never creates: the release and address are not used then.
    release: release ?? 'unused-RELEASE',
    ip: ip ?? 'inherit',
  };
}

/**
 * Resolves `spawn-agent` once, before anything runs: names (`COLIBRI_INVALID_NAME`: the agent
 * name, the tenant = `--tenant` or the agent name), `--jail` (required: only jailed spawns exist),
 * the driver, the runtime (linux: this installation or `--runtime-dir`; bastille: the CLI at
 * /usr/local/bin/colibri installed from `--package-cache`, packages `--runtime-packages` or just
 * `colibri@<this version>`), how the agent reaches colibrid (`--daemon-url`, else — linux only —
 * this CLI's own socket or URL, proxied into the jail), and the vault source exactly as
 * `provision-tenant` resolves it (credentials from the environment only).
 */
export function resolveSpawnConfig(
  agent: string,
  flags: SpawnAgentFlags,
  sources: SpawnConfigSources,
): SpawnAgentConfig {
  if (flags.jail !== true) {
    return invalid(
      'spawn-agent starts agents in jails only: pass --jail (tenant-less shared-lane agents in jails are not ' +
        'supported in this version; run them with colibri run-agent)',
      'jail',
    );
  }
  const agentName = parseAgentName(agent);
  const tenant = parseTenantName(given(flags.tenant) ?? agentName);
  const capabilitiesInput = given(flags.capabilities);
  const capabilities = capabilitiesInput === undefined ? null : [...parseCapabilityList(capabilitiesInput)];
  const handlers = given(flags.handlers);
  const resolvedDriver = resolveDriverConfig(flags, sources, 'spawn');
  const tmpSize = flags['tmp-size'];
  if (tmpSize !== undefined && resolvedDriver.kind !== 'linux') {
    invalid('--tmp-size only applies to --driver linux', 'tmp-size');
  }
  const driver: DriverConfig =
    tmpSize === undefined || resolvedDriver.kind !== 'linux'
      ? resolvedDriver
      : { ...resolvedDriver, tmpfsSizeBytes: tmpSize * 1024 * 1024 };

  const daemonUrl = given(flags['daemon-url']);
  let daemon: DaemonEndpoint;
  if (daemonUrl !== undefined) daemon = { url: parseDaemonUrl(daemonUrl) };
  else if (driver.kind === 'bastille') {
    return invalid(
      'an agent in a bastille jail reaches colibrid over TCP: pass --daemon-url with the bridge address the ' +
        'jail can reach, e.g. http://10.0.0.1:9190 (see colibri bridge)',
      'daemon-url',
    );
  } else {
    daemon =
      sources.target.kind === 'socket'
        ? { socketPath: sources.target.socketPath }
        : { url: sources.target.url };
  }

  let runtime: AgentRuntime;
  if (driver.kind === 'linux') {
    for (const flag of ['package-cache', 'runtime-packages'] as const) {
      if (given(flags[flag]) !== undefined) invalid(`--${flag} only applies to --driver bastille`, flag);
    }
    const runtimeDir = given(flags['runtime-dir']);
    runtime = locateColibriRuntime({
      packageDir: sources.cliRoot,
      version: sources.version,
      runtimeDir: runtimeDir === undefined ? undefined : absolute(sources.cwd, runtimeDir),
      runtimeDirFlag: '--runtime-dir',
      ...(sources.fs === undefined ? {} : { fs: sources.fs }),
    });
  } else {
    if (given(flags['runtime-dir']) !== undefined)
      invalid('--runtime-dir only applies to --driver linux', 'runtime-dir');
    const packages = given(flags['runtime-packages']);
    runtime = {
      version: sources.version,
      entry: BASTILLE_RUNTIME_DEFAULTS.entry,
      packageCache: absolute(
        sources.cwd,
        given(flags['package-cache']) ?? BASTILLE_RUNTIME_DEFAULTS.packageCache,
      ),
      packages:
        packages === undefined
          ? [{ name: 'colibri', version: sources.version }]
          : parseRuntimePackages(packages),
    };
  }

  const { source } = resolveProvisionConfig(
    { source: flags.source, 'secrets-dir': flags['secrets-dir'], 'vault-server': flags['vault-server'] },
    { env: sources.env, cwd: sources.cwd, home: sources.home, singleTenant: true },
  );
  return Object.freeze({
    agentName,
    tenant,
    capabilities,
    handlersDir: handlers === undefined ? undefined : absolute(sources.cwd, handlers),
    driver,
    runtime,
    daemon,
    registrationTimeoutMs: (flags['registration-timeout'] ?? 60) * 1000,
    joinTokenTtlSeconds: flags['join-token-ttl'] ?? 600,
    vault: source,
  });
}
