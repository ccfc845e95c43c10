import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError, isColibriError } from '@colibri/errors';
import type {
  AgentLaunch,
  AgentRuntime,
  JailDriver,
  JailInfo,
  JailSpec,
  JailStatus,
} from '../jail-driver.js';
import { jailHomePath } from '../jail-layout.js';
import { checkLaunchAgainstRecord } from '../launch-checks.js';
import { normalizeLaunchSettings } from '../launch-settings.js';
import { checkJailName, checkJailSpec, checkLaunchNames } from '../names.js';
import { firstLines } from '../run-command.js';
import { agentDaemonArgv, checkBastilleLaunch, mentionsVersion } from './agent-launch.js';
import { type BastilleCli, createBastilleCli, describeCommand, driverFailed } from './bastille-cli.js';
import {
  type BastilleDriverOptions,
  checkJailAddress,
  type ResolvedBastilleDriverOptions,
  resolveBastilleDriverOptions,
} from './bastille-driver-options.js';
import {
  BASTILLE_RECORD_FILE,
  type BastilleJailRecord,
  readBastilleRecord,
  writeBastilleRecord,
} from './bastille-jail-record.js';
import { bastillePreflight, type EuidProbe } from './bastille-preflight.js';
import { destroyArgs } from './bastille-version.js';
import {
  type CachedPackage,
  checkBastilleRuntime,
  checkColibriPackageVersion,
  locateCachedPackages,
} from './package-cache.js';

/** Where the package cache is mounted (read-only nullfs) inside a jail while bootstrap runs. */
export const PACKAGE_MOUNT = '/var/cache/colibri-packages';
/** A bastille jail's network is its own address (`bastille create … IP`): nothing to choose per launch. */
const BASTILLE_NETWORK = 'jail';
/** Where `launch.handlersDir` is mounted (read-only nullfs) inside a jail; passed as `--handlers`. */
export const HANDLERS_MOUNT = '/opt/colibri/handlers';
/** daemon(8)'s pidfile of the agent, inside the jail user's home. */
export const AGENT_PIDFILE_NAME = '.colibri-agent.pid';
/** The agent's stdout+stderr (daemon -o), inside the jail user's home. */
export const AGENT_LOG_NAME = 'agent.log';

const DEFAULT_GRACE_MS = 15_000;
const KILL_GUARD_MS = 10_000;
const POLL_MS = 100;

/** Seams for tests of pure decisions (the effective uid); production uses the real process. */
export interface BastilleDriverSeams {
  readonly euid?: EuidProbe;
}

/**
 * The Bastille jail driver (FreeBSD): everything per JAIL-FACTS.md.
 * - Bastille resolves a TARGET by prefix: before every mutating `bastille` call the exact name is
 *   checked in `bastille list jails` (exact line); `jexec` is used for everything inside a jail
 *   (it takes exact names only). `list -j` is never parsed, error texts are never matched.
 * - Exit codes are not trusted: the state is verified after every change (listed, running, user,
 *   home, mounts, the agent's pidfile) and a mismatch is `COLIBRI_JAIL_DRIVER_FAILED` naming the
 *   command and what was seen.
 * - Flags follow the recorded `bastille --version` (destroy: `-y` on 1.x only).
 * - `<prefix>/jails/<NAME>/colibri.json` (root 0600, outside the jail's root/) marks jails colibri
 *   created, written only once the jail is verified; a jail without it is never touched.
 * - The agent runs `jexec -l -U <agentUser> NAME /usr/sbin/daemon -f -p ~/.colibri-agent.pid -o
 *   ~/agent.log <entry> run-agent …`: as the jail user, supervised by daemon(8), with jexec's login
 *   environment only. Secrets never pass through argv or `bastille cp`: the join chain writes
 *   `.env` into {@link JailInfo.home} with the vault writer.
 */
export function createBastilleDriver(
  options: BastilleDriverOptions,
  seams: BastilleDriverSeams = {},
): JailDriver {
  const resolved = resolveBastilleDriverOptions(options);
  return bastilleDriver(
    resolved,
    createBastilleCli(resolved),
    seams.euid ?? (() => process.geteuid?.() ?? -1),
  );
}

function bastilleDriver(
  options: ResolvedBastilleDriverOptions,
  cli: BastilleCli,
  euid: EuidProbe,
): JailDriver {
  const { prefix, release, agentUser, agentUid, logger } = options;
  const jailsDir = join(prefix, 'jails');
  const jailBase = (name: string) => join(jailsDir, name);
  const hostHome = (name: string) => jailHomePath('bastille', jailsDir, name, agentUser);
  const home = `/home/${agentUser}`;
  const pidfile = `${home}/${AGENT_PIDFILE_NAME}`;
  const agentLog = `${home}/${AGENT_LOG_NAME}`;

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

  const infoOf = (record: BastilleJailRecord): JailInfo => ({
    name: record.name,
    agentName: record.agentName,
    tenant: record.tenant,
    home: hostHome(record.name),
    allowedRoot: jailsDir,
    owner: { uid: record.uid, gid: record.gid },
    runtimeVersion: record.runtime?.version ?? null,
  });

  /** The jail by exact name with colibri's record, else `COLIBRI_JAIL_NOT_FOUND` (absent or foreign). */
  const ownJail = async (name: string): Promise<BastilleJailRecord> => {
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
  };

  /** Right before a mutating `bastille` call: the exact name must still be listed (no prefix match). */
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

  // `pgrep -L -F`: the pid in daemon(8)'s pidfile, only while daemon holds its lock — a stale
  // pidfile never matches a reused pid. jexec fails when the jail is down: not running either.
  const agentRunning = async (name: string, user: string) =>
    (await cli.jexec(name, user, ['/bin/pgrep', '-L', '-F', pidfile])).exitCode === 0;

  const pollUntil = async (probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
    // Counted attempts, not wall time: the clock may jump.
    const attempts = Math.max(1, Math.ceil(timeoutMs / POLL_MS));
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (await probe()) return true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return probe();
  };

  const ensureJailRunning = async (name: string) => {
    if (await jailRunning(name)) return;
    const args = ['start', name];
    const started = await bastilleOn(name, args);
    if (!(await jailRunning(name))) {
      throw driverFailed(describeCommand('bastille', args), started, `jail ${name} is not running`, {
        jail: name,
      });
    }
  };

  /** Stops (if running) and destroys a jail this driver owns, verifying each step. */
  const removeJail = async (name: string) => {
    const version = await cli.version();
    if (await jailRunning(name)) {
      const args = ['stop', name];
      const stopped = await bastilleOn(name, args);
      if (await jailRunning(name)) {
        throw driverFailed(describeCommand('bastille', args), stopped, `jail ${name} is still running`, {
          jail: name,
        });
      }
    }
    const args = destroyArgs(version, name);
    const destroyed = await bastilleOn(name, args);
    const listed = (await cli.listJails()).has(name);
    const left = await pathExists(jailBase(name));
    if (listed || left) {
      throw driverFailed(
        describeCommand('bastille', args),
        destroyed,
        listed ? `jail ${name} is still listed` : `${jailBase(name)} is still there`,
        { jail: name },
      );
    }
    logger.info({ jail: name }, 'jail destroyed');
  };

  const fstabEntry = async (name: string, jailPath: string) => {
    const target = `${join(jailBase(name), 'root')}${jailPath}`;
    let text = '';
    try {
      text = await readFile(join(jailBase(name), 'fstab'), 'utf8');
    } catch {
      return undefined;
    }
    for (const line of text.split('\n')) {
      const [source, mountpoint, type, mountOptions] = line.trim().split(/\s+/);
      if (mountpoint === target && source !== undefined) return { source, type, options: mountOptions };
    }
    return undefined;
  };

  const unmount = async (name: string, jailPath: string) => {
    if ((await fstabEntry(name, jailPath)) === undefined) return;
    const args = ['umount', name, jailPath];
    const result = await bastilleOn(name, args);
    if ((await fstabEntry(name, jailPath)) !== undefined) {
      throw driverFailed(
        describeCommand('bastille', args),
        result,
        `${jailPath} is still in the fstab of jail ${name}`,
        {
          jail: name,
        },
      );
    }
  };

  /** A read-only nullfs mount of a host directory at `jailPath`, verified in the jail's fstab. */
  const mountReadOnly = async (name: string, hostDir: string, jailPath: string) => {
    const present = await fstabEntry(name, jailPath);
    if (present?.source === hostDir && present.type === 'nullfs' && present.options === 'ro') return;
    if (present !== undefined) await unmount(name, jailPath);
    const args = ['mount', name, hostDir, jailPath, 'nullfs', 'ro', '0', '0'];
    const result = await bastilleOn(name, args);
    const entry = await fstabEntry(name, jailPath);
    if (entry?.source !== hostDir || entry.options !== 'ro') {
      throw driverFailed(
        describeCommand('bastille', args),
        result,
        `the fstab of jail ${name} has no read-only ${jailPath}`,
        {
          jail: name,
        },
      );
    }
  };

  /** The jail home on the host: no symlinked component from the prefix down (the vault writes here). */
  const statHome = async (name: string) => {
    let path = jailsDir;
    for (const part of [name, 'root', 'home', agentUser]) {
      path = join(path, part);
      const stat = await lstat(path);
      if (stat.isSymbolicLink()) {
        throw new ColibriError(
          'COLIBRI_UNSAFE_PATH',
          `${path} is a symlink: refusing the jail home of ${name}`,
          {
            jail: name,
            path,
          },
        );
      }
      if (!stat.isDirectory()) {
        throw new ColibriError('COLIBRI_UNSAFE_PATH', `${path} is not a directory`, { jail: name, path });
      }
      if (part === agentUser) return stat;
    }
    throw new Error('unreachable');
  };

  /** `pw useradd` inside the jail, then verifies the ids and the home the way the host sees them. */
  const createAgentUser = async (name: string) => {
    const argv = [
      '/usr/sbin/pw',
      'useradd',
      '-n',
      agentUser,
      '-u',
      String(agentUid),
      '-c',
      'colibri agent',
      '-d',
      home,
      '-m',
      '-M',
      '0700',
      '-s',
      '/bin/sh',
    ];
    const added = await cli.jexec(name, 'root', argv);
    const command = describeCommand('jexec', ['-l', '-U', 'root', name, ...argv]);
    const uid = await cli.jexec(name, 'root', ['/usr/bin/id', '-u', agentUser]);
    const gid = await cli.jexec(name, 'root', ['/usr/bin/id', '-g', agentUser]);
    const uidValue = Number(uid.stdout.trim());
    const gidValue = Number(gid.stdout.trim());
    if (
      uid.exitCode !== 0 ||
      uidValue !== agentUid ||
      gid.exitCode !== 0 ||
      !Number.isInteger(gidValue) ||
      gidValue <= 0
    ) {
      throw driverFailed(
        command,
        added,
        `\`id -u ${agentUser}\` answers ${JSON.stringify(uid.stdout.trim() || firstLines(uid.stderr))} (expected ${agentUid}) and \`id -g\` ${JSON.stringify(gid.stdout.trim() || firstLines(gid.stderr))}`,
        { jail: name },
      );
    }
    let stat: Awaited<ReturnType<typeof statHome>>;
    try {
      stat = await statHome(name);
    } catch (error) {
      if (isColibriError(error)) throw error;
      throw driverFailed(command, added, `${hostHome(name)} does not exist`, { jail: name });
    }
    if (stat.uid !== uidValue || stat.gid !== gidValue) {
      throw driverFailed(
        command,
        added,
        `${hostHome(name)} is owned by ${stat.uid}:${stat.gid}, not ${uidValue}:${gidValue}`,
        {
          jail: name,
        },
      );
    }
    if ((stat.mode & 0o7777) !== 0o700) {
      const chmod = await cli.jexec(name, 'root', ['/bin/chmod', '0700', home]);
      if (((await statHome(name)).mode & 0o7777) !== 0o700) {
        throw driverFailed(
          describeCommand('jexec', ['-l', '-U', 'root', name, '/bin/chmod', '0700', home]),
          chmod,
          `${hostHome(name)} is not mode 0700`,
          {
            jail: name,
          },
        );
      }
    }
    return { uid: uidValue, gid: gidValue };
  };

  /** After a failed create: destroy the jail this call made (it was absent before), and say so. */
  const undoCreate = async (name: string, error: unknown): Promise<ColibriError> => {
    const base = isColibriError(error)
      ? error
      : new ColibriError(
          'COLIBRI_JAIL_DRIVER_FAILED',
          `creating jail ${name} failed: ${(error as Error).message}`,
          { jail: name },
        );
    try {
      await removeJail(name);
      return new ColibriError(
        base.code,
        `${base.message}; the half-made jail ${name} was destroyed`,
        { ...base.details, rollback: 'destroyed' },
        { cause: error },
      );
    } catch (undoError) {
      logger.warn({ jail: name, error: (undoError as Error).message }, 'could not destroy a half-made jail');
      return new ColibriError(
        base.code,
        `${base.message}; destroying the half-made jail ${name} failed too (${(undoError as Error).message}): remove it by hand`,
        { ...base.details, rollback: 'failed' },
        { cause: error },
      );
    }
  };

  const installPackage = async (name: string, pkg: CachedPackage) => {
    const query = ['/usr/sbin/pkg', 'query', '%v', pkg.name];
    const before = await cli.jexec(name, 'root', query);
    const installed = before.exitCode === 0 ? before.stdout.trim() : '';
    if (installed === pkg.version) return;
    const argv = [
      '/usr/sbin/pkg',
      'add',
      ...(installed === '' ? [] : ['-f']),
      `${PACKAGE_MOUNT}/${pkg.file}`,
    ];
    const added = await cli.jexec(name, 'root', argv);
    const after = await cli.jexec(name, 'root', query);
    if (after.exitCode !== 0 || after.stdout.trim() !== pkg.version) {
      throw new ColibriError(
        'COLIBRI_RUNTIME_UNAVAILABLE',
        `\`pkg add ${PACKAGE_MOUNT}/${pkg.file}\` in jail ${name} exited ${added.exitCode}` +
          (firstLines(`${added.stderr}\n${added.stdout}`) === ''
            ? ''
            : ` (${firstLines(`${added.stderr}\n${added.stdout}`)})`) +
          `, and ${pkg.name} is ${after.exitCode === 0 ? `at ${after.stdout.trim()}` : 'not installed'} instead of ${pkg.version}: ` +
          'check the package file (list pkg first when the release has no pkg yet)',
        { jail: name, package: pkg.name, expected: pkg.version },
      );
    }
    logger.info({ jail: name, package: `${pkg.name}-${pkg.version}` }, 'package installed');
  };

  const stopAgentOf = async (name: string, record: BastilleJailRecord, graceMs: number) => {
    const user = record.user;
    if (!(await agentRunning(name, user))) return 'not-running' as const;
    await cli.jexec(name, user, ['/bin/pkill', '-TERM', '-L', '-F', pidfile]);
    if (await pollUntil(async () => !(await agentRunning(name, user)), graceMs)) return 'stopped' as const;
    logger.warn({ jail: name, graceMs }, 'the agent did not drain in time: SIGKILL');
    const argv = ['/bin/pkill', '-KILL', '-L', '-F', pidfile];
    const killed = await cli.jexec(name, user, argv);
    if (await pollUntil(async () => !(await agentRunning(name, user)), KILL_GUARD_MS))
      return 'stopped' as const;
    throw driverFailed(
      describeCommand('jexec', ['-l', '-U', user, name, ...argv]),
      killed,
      `the agent in jail ${name} is still running`,
      {
        jail: name,
      },
    );
  };

  return {
    kind: 'bastille',

    preflight() {
      return bastillePreflight(options, cli, euid);
    },

    async inspect(name): Promise<JailStatus> {
      checkJailName(name);
      if (!(await cli.listJails()).has(name)) return { exists: false };
      const record = await readBastilleRecord(jailBase(name), name);
      if (record === undefined) return { exists: true, info: null, agent: 'stopped' };
      return {
        exists: true,
        info: infoOf(record),
        agent: (await agentRunning(name, record.user)) ? 'running' : 'stopped',
        ...(record.launched === undefined ? {} : { launched: record.launched }),
      };
    },

    async create(spec: JailSpec) {
      const { name, agentName, tenant } = checkJailSpec(spec);
      const address = checkJailAddress(options.address(name), name);
      return serialized(name, async () => {
        if ((await cli.listJails()).has(name)) {
          const record = await readBastilleRecord(jailBase(name), name).catch(() => undefined);
          throw new ColibriError(
            'COLIBRI_JAIL_EXISTS',
            record === undefined
              ? `jail ${name} already exists and colibri did not create it: it is left untouched`
              : `jail ${name} already exists (colibri's, for agent ${record.agentName} of tenant ${record.tenant})`,
            { jail: name },
          );
        }
        if (await pathExists(jailBase(name))) {
          throw new ColibriError(
            'COLIBRI_JAIL_EXISTS',
            `${jailBase(name)} exists although Bastille lists no jail ${name}: remove the leftover directory or pick another name`,
            { jail: name },
          );
        }
        if (!(await pathExists(join(prefix, 'releases', release)))) {
          throw new ColibriError(
            'COLIBRI_PREFLIGHT_FAILED',
            `release ${release} is not bootstrapped (no ${join(prefix, 'releases', release)}): run \`bastille bootstrap ${release}\``,
            { jail: name, release },
          );
        }
        const version = await cli.version();
        const args = [
          'create',
          name,
          release,
          address,
          ...(options.interface === null ? [] : [options.interface]),
        ];
        const created = await cli.bastille(args);
        if (!(await cli.listJails()).has(name)) {
          throw driverFailed(describeCommand('bastille', args), created, `no jail ${name} is listed`, {
            jail: name,
          });
        }
        try {
          if (!(await jailRunning(name))) {
            throw driverFailed(describeCommand('bastille', args), created, `jail ${name} is not running`, {
              jail: name,
            });
          }
          const root = await lstat(join(jailBase(name), 'root')).catch(() => undefined);
          if (root === undefined || root.isSymbolicLink() || !root.isDirectory()) {
            throw driverFailed(
              describeCommand('bastille', args),
              created,
              `${join(jailBase(name), 'root')} is not a directory`,
              {
                jail: name,
              },
            );
          }
          const owner = await createAgentUser(name);
          const record: BastilleJailRecord = {
            format: 1,
            driver: 'bastille',
            name,
            agentName,
            tenant,
            user: agentUser,
            uid: owner.uid,
            gid: owner.gid,
            home,
            release,
            address,
            bastilleVersion: version.text,
            runtime: null,
            createdAt: new Date().toISOString(),
          };
          await writeBastilleRecord(jailBase(name), record);
          logger.info({ jail: name, agentName, tenant, uid: owner.uid }, 'jail created');
          return infoOf(record);
        } catch (error) {
          throw await undoCreate(name, error);
        }
      });
    },

    async bootstrap(name, input: AgentRuntime) {
      checkJailName(name);
      const runtime = checkBastilleRuntime(input);
      return serialized(name, async () => {
        let record = await ownJail(name);
        // The cold-cache guard and the version pin: before anything in the jail changes.
        const cached = await locateCachedPackages(runtime, name);
        checkColibriPackageVersion(runtime, name);
        await ensureJailRunning(name);
        if (record.runtime !== null) {
          // From here the jail changes: it is not "bootstrapped at the old version" any more.
          record = { ...record, runtime: null };
          await writeBastilleRecord(jailBase(name), record);
        }
        await mountReadOnly(name, runtime.packageCache, PACKAGE_MOUNT);
        let failure: unknown;
        try {
          for (const pkg of cached) await installPackage(name, pkg);
        } catch (error) {
          failure = error;
        }
        try {
          await unmount(name, PACKAGE_MOUNT);
        } catch (error) {
          if (failure === undefined) failure = error;
          else
            logger.warn(
              { jail: name, error: (error as Error).message },
              'could not unmount the package cache',
            );
        }
        if (failure !== undefined) throw failure;

        const printed = await cli.jexec(name, record.user, [runtime.entry, '--version']);
        const text = `${printed.stdout}\n${printed.stderr}`;
        if (printed.exitCode !== 0 || !mentionsVersion(text, runtime.version)) {
          throw new ColibriError(
            'COLIBRI_RUNTIME_UNAVAILABLE',
            `\`${runtime.entry} --version\` in jail ${name} printed ${JSON.stringify(firstLines(text))} (exit ${printed.exitCode}), ` +
              `expected ${runtime.version}: the cached packages do not hold colibri ${runtime.version}`,
            { jail: name, expected: runtime.version },
          );
        }
        const next: BastilleJailRecord = {
          ...record,
          runtime: { version: runtime.version, entry: runtime.entry },
        };
        await writeBastilleRecord(jailBase(name), next);
        logger.info({ jail: name, version: runtime.version }, 'runtime bootstrapped');
        return infoOf(next);
      });
    },

    async startAgent(name, launch: AgentLaunch) {
      checkJailName(name);
      const names = checkLaunchNames(launch);
      const { url, handlersDir } = checkBastilleLaunch(launch, name);
      return serialized(name, async () => {
        if (
          handlersDir !== null &&
          !(await lstat(handlersDir).then(
            (stat) => stat.isDirectory(),
            () => false,
          ))
        ) {
          // Bastille's mount would create a missing host path: refuse instead.
          throw new ColibriError(
            'COLIBRI_INVALID_INPUT',
            `launch.handlersDir ${handlersDir} is not a directory`,
            {
              field: 'launch.handlersDir',
            },
          );
        }
        const record = await ownJail(name);
        const runtime = checkLaunchAgainstRecord(name, record, names);
        await ensureJailRunning(name);
        if (await agentRunning(name, record.user)) return 'already-running' as const;
        if (handlersDir === null) await unmount(name, HANDLERS_MOUNT);
        else await mountReadOnly(name, handlersDir, HANDLERS_MOUNT);
        const argv = agentDaemonArgv({
          pidfile,
          log: agentLog,
          entry: runtime.entry,
          agentName: names.agentName,
          tenant: names.tenant,
          capabilities: names.capabilities,
          url,
          handlers: handlersDir === null ? null : HANDLERS_MOUNT,
        });
        const command = describeCommand('jexec', ['-l', '-U', record.user, name, ...argv]);
        const started = await cli.jexec(name, record.user, argv);
        if (started.exitCode !== 0) {
          throw driverFailed(
            command,
            started,
            `the agent of jail ${name} did not start (see ${join(hostHome(name), AGENT_LOG_NAME)})`,
            {
              jail: name,
            },
          );
        }
        if (!(await pollUntil(() => agentRunning(name, record.user), options.startTimeoutMs))) {
          throw driverFailed(
            command,
            started,
            `no live agent is behind ${pidfile} in jail ${name} (see ${join(hostHome(name), AGENT_LOG_NAME)})`,
            {
              jail: name,
            },
          );
        }
        const launched = normalizeLaunchSettings({
          capabilities: names.capabilities,
          handlersDir: launch.handlersDir ?? null,
          network: BASTILLE_NETWORK,
          runtime: runtime.entry,
        });
        await writeBastilleRecord(jailBase(name), {
          ...record,
          launched: {
            ...launched,
            capabilities: launched.capabilities === null ? null : [...launched.capabilities],
          },
        });
        logger.info({ jail: name, agentName: names.agentName }, 'agent started');
        return 'started' as const;
      });
    },

    async stopAgent(name, stopOptions = {}) {
      checkJailName(name);
      const graceMs = stopOptions.graceMs ?? DEFAULT_GRACE_MS;
      if (!Number.isInteger(graceMs) || graceMs < 0) {
        throw new ColibriError('COLIBRI_INVALID_INPUT', 'graceMs must be a non-negative integer (ms)', {
          field: 'graceMs',
        });
      }
      return serialized(name, async () => stopAgentOf(name, await ownJail(name), graceMs));
    },

    async destroy(name) {
      checkJailName(name);
      return serialized(name, async () => {
        if (!(await cli.listJails()).has(name)) return 'absent' as const;
        const record = await ownJail(name);
        await stopAgentOf(name, record, DEFAULT_GRACE_MS);
        await removeJail(name);
        return 'destroyed' as const;
      });
    },

    agentLogPath(name) {
      checkJailName(name);
      return join(hostHome(name), AGENT_LOG_NAME);
    },

    launchSettings(launch, runtime) {
      return normalizeLaunchSettings({
        capabilities: launch.capabilities,
        handlersDir: launch.handlersDir ?? null,
        network: BASTILLE_NETWORK,
        runtime: runtime.entry,
      });
    },
  };
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
