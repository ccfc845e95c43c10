import { isAbsolute, normalize } from 'node:path';
import { ColibriError } from '@colibri/errors';

/** Where the bastille driver logs what it did (pino-like: fields first, then the message). */
export interface BastilleDriverLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options of {@link createBastilleDriver}. Paths must be absolute. */
export interface BastilleDriverOptions {
  /** Bastille's `bastille_prefix` (bastille.conf). Default `/usr/local/bastille`. */
  readonly prefix?: string;
  /** The pinned release every jail is created from, e.g. `14.3-RELEASE`; it must be bootstrapped. */
  readonly release: string;
  /**
   * The jail's address for `bastille create NAME RELEASE IP`, asked once per create before anything
   * runs: the operator's pool lookup (IPv4/IPv6 with an optional `/prefix`, or `inherit`). A
   * function rather than a list, so allocation stays with whoever owns the pool.
   */
  readonly address: (jail: string) => string;
  /** The host interface for that address (Bastille's optional `[IF]`); default: bastille.conf's. */
  readonly interface?: string;
  /** The jail user that runs the agent (created with `pw useradd`). Default `agent`. */
  readonly agentUser?: string;
  /** Its uid (and the gid `pw` gives its group) inside the jail. Default 1001. */
  readonly agentUid?: number;
  /** Paths of the tools. Defaults: `/usr/local/bin/bastille`, `/usr/sbin/jexec`, `/sbin/sysctl`. */
  readonly commands?: { readonly bastille?: string; readonly jexec?: string; readonly sysctl?: string };
  /** How long startAgent waits for daemon(8)'s pidfile to show the agent alive (a failure guard). Default 30 s. */
  readonly startTimeoutMs?: number;
  /** The longest one bastille/jexec call may take before it is killed (a failure guard). Default 10 min. */
  readonly commandTimeoutMs?: number;
  readonly logger?: BastilleDriverLogger;
}

/** The options with every default filled in, validated once. */
export interface ResolvedBastilleDriverOptions {
  readonly prefix: string;
  readonly release: string;
  readonly address: (jail: string) => string;
  readonly interface: string | null;
  readonly agentUser: string;
  readonly agentUid: number;
  readonly commands: { readonly bastille: string; readonly jexec: string; readonly sysctl: string };
  readonly startTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly logger: BastilleDriverLogger;
}

export const DEFAULT_BASTILLE_PREFIX = '/usr/local/bastille';
const DEFAULT_COMMANDS = {
  bastille: '/usr/local/bin/bastille',
  jexec: '/usr/sbin/jexec',
  sysctl: '/sbin/sysctl',
};
const RELEASE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const USER_PATTERN = /^[a-z_][a-z0-9_-]{0,15}$/;
const INTERFACE_PATTERN = /^[A-Za-z][A-Za-z0-9_.]{0,15}$/;
const silentLogger: BastilleDriverLogger = { info() {}, warn() {} };

function invalid(message: string, field: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', `bastille driver: ${message}`, { field });
}

function absolute(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0') || normalize(value) !== value) {
    return invalid(`${field} must be a normalized absolute path, got ${JSON.stringify(value)}`, field);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) invalid(`${field} must be a positive integer (ms)`, field);
  return value;
}

/** Validates the options once, at the boundary, and fills in the defaults. */
export function resolveBastilleDriverOptions(options: BastilleDriverOptions): ResolvedBastilleDriverOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object', 'options');
  if (typeof options.release !== 'string' || !RELEASE_PATTERN.test(options.release)) {
    invalid(
      `release must be a bootstrapped release name like 14.3-RELEASE, got ${JSON.stringify(options.release)}`,
      'release',
    );
  }
  if (typeof options.address !== 'function') {
    invalid(
      'address must be a function (jail name) => IP, e.g. a lookup in the operator’s address pool',
      'address',
    );
  }
  if (options.interface !== undefined && !INTERFACE_PATTERN.test(options.interface)) {
    invalid(
      `interface must be an interface name like bastille0, got ${JSON.stringify(options.interface)}`,
      'interface',
    );
  }
  const agentUser = options.agentUser ?? 'agent';
  if (!USER_PATTERN.test(agentUser)) {
    invalid(
      `agentUser must be a user name like agent ([a-z_][a-z0-9_-]{0,15}), got ${JSON.stringify(agentUser)}`,
      'agentUser',
    );
  }
  const agentUid = options.agentUid ?? 1001;
  if (!Number.isInteger(agentUid) || agentUid < 1000 || agentUid > 65533) {
    invalid(
      `agentUid must be an integer from 1000 to 65533 (an unprivileged user), got ${String(agentUid)}`,
      'agentUid',
    );
  }
  const commands = options.commands ?? {};
  return Object.freeze({
    prefix: absolute(options.prefix ?? DEFAULT_BASTILLE_PREFIX, 'prefix'),
    release: options.release,
    address: options.address,
    interface: options.interface ?? null,
    agentUser,
    agentUid,
    commands: Object.freeze({
      bastille: absolute(commands.bastille ?? DEFAULT_COMMANDS.bastille, 'commands.bastille'),
      jexec: absolute(commands.jexec ?? DEFAULT_COMMANDS.jexec, 'commands.jexec'),
      sysctl: absolute(commands.sysctl ?? DEFAULT_COMMANDS.sysctl, 'commands.sysctl'),
    }),
    startTimeoutMs: positive(options.startTimeoutMs, 30_000, 'startTimeoutMs'),
    commandTimeoutMs: positive(options.commandTimeoutMs, 600_000, 'commandTimeoutMs'),
    logger: options.logger ?? silentLogger,
  });
}

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([0-9]|[12]\d|3[0-2]))?$/;
const IPV6 = /^[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(\/(\d|[1-9]\d|1[01]\d|12[0-8]))?$/;

/**
 * The address the operator's lookup returned for `jail`, checked before it reaches argv: an IPv4
 * or IPv6 address (optionally `/prefix`) or `inherit`. Never something that reads as an option.
 */
export function checkJailAddress(value: unknown, jail: string): string {
  if (typeof value === 'string' && (IPV4.test(value) || IPV6.test(value) || value === 'inherit'))
    return value;
  throw new ColibriError(
    'COLIBRI_INVALID_INPUT',
    `bastille driver: the address for jail ${jail} must be an IPv4/IPv6 address (optionally /prefix) or "inherit", got ${JSON.stringify(value)}: fix the address pool`,
    { field: 'address', jail },
  );
}
