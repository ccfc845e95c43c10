import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { JailInfo } from '../jail-driver.js';
import { jailHomePath } from '../jail-layout.js';
import type { CommandResult } from '../run-command.js';
import { type BastilleCli, describeCommand, driverFailed } from './bastille-cli.js';
import type { ResolvedBastilleDriverOptions } from './bastille-driver-options.js';
import { BASTILLE_RECORD_FILE, type BastilleJailRecord, readBastilleRecord } from './bastille-jail-record.js';

/** daemon(8)'s pidfile of the agent, inside the jail user's home. */
export const AGENT_PIDFILE_NAME = '.colibri-agent.pid';
/** The agent's stdout+stderr (daemon -o), inside the jail user's home. */
export const AGENT_LOG_NAME = 'agent.log';

const POLL_MS = 100;

/**
 * What every step of the Bastille driver (create, bootstrap, start, stop, destroy) works with: the
 * resolved options, the command runner, the jail paths, and the checks each step makes before and
 * after it changes something (the exact name listed, colibri's record, the jail and agent running).
 * One per driver: {@link BastilleJails.serialized} orders the operations on one jail.
 */
export interface BastilleJails {
  readonly options: ResolvedBastilleDriverOptions;
  readonly cli: BastilleCli;
  /** `<prefix>/jails`: every jail's directory, and the vault writer's `allowedRoot`. */
  readonly jailsDir: string;
  /** `<prefix>/jails/<name>`: the jail's directory (its `root/`, `fstab` and colibri's record). */
  jailBase(name: string): string;
  /** The jail user's home as the host sees it (receives `.env`). */
  hostHome(name: string): string;
  /** The jail user's home inside the jail (`/home/<agentUser>`). */
  readonly home: string;
  /** daemon(8)'s pidfile inside the jail. */
  readonly pidfile: string;
  /** The agent's log inside the jail. */
  readonly agentLog: string;
  /** Runs `work` after every earlier operation on the same jail settled (one at a time per jail). */
  serialized<T>(name: string, work: () => Promise<T>): Promise<T>;
  infoOf(record: BastilleJailRecord): JailInfo;
  /** The jail by exact name with colibri's record, else `COLIBRI_JAIL_NOT_FOUND` (absent or foreign). */
  ownJail(name: string): Promise<BastilleJailRecord>;
  /** Right before a mutating `bastille` call: the exact name must still be listed (no prefix match). */
  bastilleOn(name: string, args: readonly string[]): Promise<CommandResult>;
  jailRunning(name: string): Promise<boolean>;
  agentRunning(name: string, user: string): Promise<boolean>;
  /** True once `probe` answers true, trying for about `timeoutMs`. */
  pollUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean>;
  /** Starts the jail when it is down, and verifies it runs. */
  ensureJailRunning(name: string): Promise<void>;
}

export function createBastilleJails(options: ResolvedBastilleDriverOptions, cli: BastilleCli): BastilleJails {
  const { prefix, agentUser } = options;
  const jailsDir = join(prefix, 'jails');
  const jailBase = (name: string) => join(jailsDir, name);
  const hostHome = (name: string) => jailHomePath('bastille', jailsDir, name, agentUser);
  const home = `/home/${agentUser}`;
  const pidfile = `${home}/${AGENT_PIDFILE_NAME}`;

  // One operation per jail at a time within this process: a create racing a destroy of the same
  // name would otherwise interleave their exact-name checks.
  const queues = new Map<string, Promise<unknown>>();
  const serialized = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    queues.set(name, settled);
    void settled.then(() => {
      if (queues.get(name) === settled) queues.delete(name);
    });
    return next;
  };

  const bastilleOn = async (name: string, args: readonly string[]) => {
    if (!(await cli.listJails()).has(name)) {
      throw new ColibriError(
        'COLIBRI_JAIL_DRIVER_FAILED',
        `jail ${name} is no longer listed: refusing to run \`bastille ${args.join(' ')}\` (Bastille would match another jail by prefix)`,
        { jail: name },
      );
    }
    return cli.bastille(args);
  };

  const jailRunning = async (name: string) =>
    (await cli.jexec(name, 'root', ['/usr/bin/true'])).exitCode === 0;

  return {
    options,
    cli,
    jailsDir,
    jailBase,
    hostHome,
    home,
    pidfile,
    agentLog: `${home}/${AGENT_LOG_NAME}`,
    serialized,

    infoOf: (record) => ({
      name: record.name,
      agentName: record.agentName,
      tenant: record.tenant,
      home: hostHome(record.name),
      allowedRoot: jailsDir,
      owner: { uid: record.uid, gid: record.gid },
      runtimeVersion: record.runtime?.version ?? null,
    }),

    async ownJail(name) {
      if (!(await cli.listJails()).has(name)) {
        throw new ColibriError('COLIBRI_JAIL_NOT_FOUND', `no jail named ${name} (bastille list jails)`, {
          jail: name,
        });
      }
      const record = await readBastilleRecord(jailBase(name), name);
      if (record === undefined) {
        throw new ColibriError(
          'COLIBRI_JAIL_NOT_FOUND',
          `jail ${name} exists but colibri did not create it (no ${join(jailBase(name), BASTILLE_RECORD_FILE)}): it is left untouched`,
          { jail: name, foreign: true },
        );
      }
      return record;
    },

    bastilleOn,
    jailRunning,

    // `pgrep -L -F`: the pid in daemon(8)'s pidfile, only while daemon holds its lock — a stale
    // pidfile never matches a reused pid. jexec fails when the jail is down: not running either.
    agentRunning: async (name, user) =>
      (await cli.jexec(name, user, ['/bin/pgrep', '-L', '-F', pidfile])).exitCode === 0,

    async pollUntil(probe, timeoutMs) {
      // Counted attempts, not wall time: the clock may jump.
      const attempts = Math.max(1, Math.ceil(timeoutMs / POLL_MS));
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        if (await probe()) return true;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      return probe();
    },

    async ensureJailRunning(name) {
      if (await jailRunning(name)) return;
      const args = ['start', name];
      const started = await bastilleOn(name, args);
      if (!(await jailRunning(name))) {
        throw driverFailed(describeCommand('bastille', args), started, `jail ${name} is not running`, {
          jail: name,
        });
      }
    },
  };
}

/** True when something (even a dangling symlink) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
