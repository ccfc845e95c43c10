import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ColibriError } from '@colibri/errors';
import { DEFAULT_UID_CLAIM_DIR } from './uid-claims.js';

/** Where the linux driver logs what it did (pino-like: fields first, then the message). */
export interface LinuxDriverLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * The jail root the apps use when the operator names none. Outside colibri's home on purpose:
 * that home is 0700, and every jail user must be able to traverse the root's parents to reach
 * its own home.
 */
export const DEFAULT_LINUX_JAIL_ROOT = '/var/lib/colibri-jails';

/** Options of {@link createLinuxDriver}. Paths must be absolute. */
export interface LinuxDriverOptions {
  /** The allowed jail root R: every jail lives in `R/<name>`; created (root, 0711) when missing. */
  readonly jailRoot: string;
  /**
   * The host uids (and equal gids) handed to jails, inclusive. Default 470000-479999. The last id
   * is never handed out: preflight's trial sandbox runs as it.
   */
  readonly uidRange?: { readonly first: number; readonly last: number };
  /**
   * Where uid claims are kept (root 0700, one O_EXCL file per claimed uid). Host-wide by default
   * (`/var/lib/colibri/uid-claims`) so that several jail roots on one host never share a uid.
   */
  readonly uidClaimDir?: string;
  /** RLIMIT_NPROC of the jail uid: processes AND threads of the whole jail. Default 256. */
  readonly maxProcesses?: number;
  /** 'none' (default): the sandbox has only loopback; 'host' shares the host network (weaker). */
  readonly network?: 'none' | 'host';
  /**
   * The size cap, in bytes, of each writable tmpfs inside the sandbox (/tmp and /dev/shm; the rest
   * of the sandbox's own file system is read-only). Default {@link DEFAULT_TMPFS_SIZE_BYTES}.
   */
  readonly tmpfsSizeBytes?: number;
  /** Paths of the tools; default: the first found in /usr/bin, /bin, /usr/sbin, /sbin, /usr/local/bin. */
  readonly commands?: { readonly bwrap?: string; readonly setpriv?: string; readonly prlimit?: string };
  /** The node binary run inside the sandbox (default: this process's); bound read-only when not under /usr. */
  readonly nodePath?: string;
  /** The keeper script (default: `keeper-main.js` beside this module in dist). */
  readonly keeperEntry?: string;
  /** How long startAgent waits for the keeper to report the sandbox running (a failure guard). Default 60 s. */
  readonly startTimeoutMs?: number;
  /**
   * How long a passed sandbox run is trusted (preflight's trial sandbox, bootstrap's `--version` in
   * the jail), in ms: within it, the same host facts (boot, kernel, the tools', node's and the
   * runtime's files, the jail root, the settings) skip the run; any change runs it again. Every other
   * check runs every time. 0 = always run. Default {@link DEFAULT_VERIFIED_TTL_MS}.
   */
  readonly verifiedTtlMs?: number;
  readonly logger?: LinuxDriverLogger;
}

/** How long a passed sandbox run is trusted by default: 15 minutes. */
export const DEFAULT_VERIFIED_TTL_MS = 15 * 60 * 1000;

/** The options with every default filled in. */
export interface ResolvedLinuxDriverOptions {
  readonly jailRoot: string;
  readonly uidRange: { readonly first: number; readonly last: number };
  readonly uidClaimDir: string;
  readonly maxProcesses: number;
  readonly network: 'none' | 'host';
  readonly tmpfsSizeBytes: number;
  readonly commands: { readonly bwrap: string; readonly setpriv: string; readonly prlimit: string };
  readonly nodePath: string;
  readonly keeperEntry: string;
  readonly startTimeoutMs: number;
  readonly verifiedTtlMs: number;
  readonly logger: LinuxDriverLogger;
}

/** 64 MiB: room for a handler's scratch files, not for filling the host's memory. */
export const DEFAULT_TMPFS_SIZE_BYTES = 64 * 1024 * 1024;
/** Bounds of `tmpfsSizeBytes`: 1 MiB to 64 GiB. */
export const TMPFS_SIZE_LIMITS = Object.freeze({ min: 1024 * 1024, max: 64 * 1024 * 1024 * 1024 });

/** System directories searched for bwrap/setpriv/prlimit: root never trusts a caller's PATH. */
export const SYSTEM_BIN_DIRS = [
  '/usr/bin',
  '/bin',
  '/usr/sbin',
  '/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
];

const silentLogger: LinuxDriverLogger = { info() {}, warn() {} };

/** The first executable `name` in {@link SYSTEM_BIN_DIRS}, else `/usr/bin/<name>` (preflight reports it missing). */
export function findSystemCommand(name: string): string {
  for (const dir of SYSTEM_BIN_DIRS) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return join('/usr/bin', name);
}

function invalid(message: string, field: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', `linux driver: ${message}`, { field });
}

function absolute(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) {
    return invalid(`${field} must be an absolute path, got ${JSON.stringify(value)}`, field);
  }
  return value;
}

/** Validates the options once, at the boundary, and fills in the defaults. */
export function resolveLinuxDriverOptions(options: LinuxDriverOptions): ResolvedLinuxDriverOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object', 'options');
  const jailRoot = absolute(options.jailRoot, 'jailRoot');
  if (jailRoot === '/') invalid('jailRoot must not be /', 'jailRoot');
  const uidRange = options.uidRange ?? { first: 470_000, last: 479_999 };
  const { first, last } = uidRange;
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(last) ||
    first < 1000 ||
    last <= first ||
    last > 2 ** 31 - 2
  ) {
    invalid(`uidRange must be integers 1000 <= first < last, got ${first}-${last}`, 'uidRange');
  }
  const maxProcesses = options.maxProcesses ?? 256;
  if (!Number.isInteger(maxProcesses) || maxProcesses < 2 || maxProcesses > 1_000_000) {
    invalid(`maxProcesses must be an integer from 2 to 1000000, got ${maxProcesses}`, 'maxProcesses');
  }
  const network = options.network ?? 'none';
  if (network !== 'none' && network !== 'host') {
    invalid(`network must be 'none' or 'host', got ${JSON.stringify(network)}`, 'network');
  }
  const tmpfsSizeBytes = options.tmpfsSizeBytes ?? DEFAULT_TMPFS_SIZE_BYTES;
  if (
    !Number.isInteger(tmpfsSizeBytes) ||
    tmpfsSizeBytes < TMPFS_SIZE_LIMITS.min ||
    tmpfsSizeBytes > TMPFS_SIZE_LIMITS.max
  ) {
    invalid(
      `tmpfsSizeBytes must be an integer from ${TMPFS_SIZE_LIMITS.min} (1 MiB) to ${TMPFS_SIZE_LIMITS.max} (64 GiB), got ${tmpfsSizeBytes}`,
      'tmpfsSizeBytes',
    );
  }
  const commands = {
    bwrap: absolute(options.commands?.bwrap ?? findSystemCommand('bwrap'), 'commands.bwrap'),
    setpriv: absolute(options.commands?.setpriv ?? findSystemCommand('setpriv'), 'commands.setpriv'),
    prlimit: absolute(options.commands?.prlimit ?? findSystemCommand('prlimit'), 'commands.prlimit'),
  };
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  if (!Number.isInteger(startTimeoutMs) || startTimeoutMs < 1) {
    invalid(`startTimeoutMs must be a positive integer, got ${startTimeoutMs}`, 'startTimeoutMs');
  }
  const verifiedTtlMs = options.verifiedTtlMs ?? DEFAULT_VERIFIED_TTL_MS;
  if (!Number.isInteger(verifiedTtlMs) || verifiedTtlMs < 0) {
    invalid(`verifiedTtlMs must be a non-negative integer, got ${verifiedTtlMs}`, 'verifiedTtlMs');
  }
  return Object.freeze({
    jailRoot,
    uidRange: Object.freeze({ first, last }),
    uidClaimDir: absolute(options.uidClaimDir ?? DEFAULT_UID_CLAIM_DIR, 'uidClaimDir'),
    maxProcesses,
    network,
    tmpfsSizeBytes,
    commands: Object.freeze(commands),
    nodePath: absolute(options.nodePath ?? process.execPath, 'nodePath'),
    keeperEntry: absolute(
      options.keeperEntry ?? fileURLToPath(new URL('./keeper-main.js', import.meta.url)),
      'keeperEntry',
    ),
    startTimeoutMs,
    verifiedTtlMs,
    logger: options.logger ?? silentLogger,
  });
}
